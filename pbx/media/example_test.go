package media_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/hookswitch/hookswitch/hal"
	"github.com/hookswitch/hookswitch/pbx/media"
	"github.com/hookswitch/hookswitch/pbx/media/mediatest"
	"github.com/hookswitch/hookswitch/pbx/media/sdp"
)

// The SIP layer answers an offer, then hands the outcome to a Session; the
// media tick moves one frame each way per leg every 20 ms.
func Example() {
	offer := []byte("v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n" +
		"m=audio 30000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n")
	local := sdp.Local{Addr: netip.MustParseAddr("192.0.2.1"), Port: 40000, SessionID: 1, Version: 1}
	_, agreed, err := sdp.Answer(local, offer) // the answer goes into the 200 OK
	if err != nil {
		fmt.Println("488:", err)
		return
	}
	clock := mediatest.NewClock(time.Unix(0, 0)) // time.Now in the daemon
	s, err := media.New(media.Config{
		Conn:  mediatest.NewConn(netip.AddrPortFrom(local.Addr, uint16(local.Port))), // a *net.UDPConn in the daemon
		Media: agreed,
		SSRC:  0x5eed, Seq: 1000, Timestamp: 123456,
		CNAME: "hookswitch@192.0.2.1",
		Now:   clock.Now,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	s.Start()
	defer s.Close()

	var in, out hal.Frame
	_ = s.WriteFrame(&out) // each tick: send what the bridge has for this leg...
	s.ReadFrame(&in)       // ...and take what the leg heard
	s.PublishStats()       // the tick's sent counts, exact (Stats alone may trail by a few packets)
	st := s.Stats()
	fmt.Println(st.Codec, st.Remote, st.PacketsSent)
	// Output: PCMA 192.0.2.7:30000 1
}
