// Package sip is the PBX's SIP side on sipgo: it listens on sip.listen (UDP
// and TCP) and answers requests. This first slice answers OPTIONS (so
// monitoring and the image boot test can see the daemon is up); the
// registrar, calls and subscriptions build on it.
package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Server is the SIP listener.
type Server struct {
	log *slog.Logger
	ua  *sipgo.UserAgent
	srv *sipgo.Server

	udp net.PacketConn
	tcp net.Listener
	wg  sync.WaitGroup
}

// Listen binds UDP and TCP on addr (host:port).
func Listen(log *slog.Logger, addr, userAgent string) (*Server, error) {
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(userAgent))
	if err != nil {
		return nil, fmt.Errorf("sip: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		_ = ua.Close()
		return nil, fmt.Errorf("sip: %w", err)
	}
	s := &Server{log: log, ua: ua, srv: srv}
	srv.OnOptions(s.options)
	if s.udp, err = net.ListenPacket("udp", addr); err != nil {
		_ = ua.Close()
		return nil, fmt.Errorf("sip: %w", err)
	}
	if s.tcp, err = net.Listen("tcp", s.udp.LocalAddr().String()); err != nil {
		_ = s.udp.Close()
		_ = ua.Close()
		return nil, fmt.Errorf("sip: %w", err)
	}
	return s, nil
}

// Addr is the bound UDP address.
func (s *Server) Addr() net.Addr { return s.udp.LocalAddr() }

// Serve answers requests until Close.
func (s *Server) Serve() {
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := s.srv.ServeUDP(s.udp); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("sip udp", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		if err := s.srv.ServeTCP(s.tcp); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("sip tcp", "err", err)
		}
	}()
}

// Close stops listening and waits for the listeners.
func (s *Server) Close(context.Context) error {
	err := errors.Join(s.udp.Close(), s.tcp.Close())
	s.wg.Wait()
	return errors.Join(err, s.ua.Close())
}

func (s *Server) options(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS"))
	res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	if err := tx.Respond(res); err != nil {
		s.log.Debug("sip options", "err", err)
	}
}
