// Package media is the RTP engine for SIP call legs: one Session per leg
// moves 20 ms hal.Frames to and from a peer as G.711 over RTP.
//
// Threading. Everything but reception belongs to the caller's single media
// tick: every 20 ms it calls ReadFrame (one frame out of the jitter buffer)
// and WriteFrame (one frame encoded and sent) for every active leg.
// WriteFrame, StartDigit, StopDigit and SendDigit must be called from that
// one goroutine; Update, Stats and Close may be called from any. Reception
// takes one of three shapes, by the sockets in Config:
//
//   - Conn (any net.PacketConn): a reader goroutine per socket parses
//     packets into reused buffers and feeds the jitter buffer and the RFC
//     4733 receiver. Simple, and what tests with in-memory conns use, but
//     every packet wakes a goroutine.
//   - Socket (Linux): the session's own port pair, outside Go's network
//     poller; the tick calls Poll, which takes what waited with one
//     recvmmsg. No wake-ups at all.
//   - Mux (Linux): one port pair shared by every session. The tick calls
//     the Mux's Poll at its start, which reads everything that waited in
//     batches and routes each packet by source address (and SSRC), and
//     its Flush at its end, which sends the tick's packets with sendmmsg.
//     The fewest system calls; see Mux for how sources are told apart.
//
// In the last two, each packet's arrival time is the kernel's stamp, so
// jitter is measured as the packets arrived, not as the tick read them.
//
// Symmetric RTP. RTP goes to the negotiated address until the session latches
// to another source: a new source address is taken after Config.LatchPackets
// (default 3) consecutive valid RTP packets from it with the same SSRC and
// ascending sequence numbers, with nothing heard from the current address in
// between; once a stream has been heard, a new address must also carry that
// stream's SSRC (a NAT rebinding, not a stranger). Packets from other
// addresses are dropped until then. This is what phones behind NAT need,
// while a live peer cannot be hijacked by packets sprayed at our port ("RTP
// bleed"). LatchNever turns it off: media is then accepted from anywhere and
// sent only to the negotiated address.
//
// The packet paths allocate nothing: parsing is pion/rtp Unmarshal into a
// reused rtp.Packet, sending is rtp.Header.MarshalTo into a reused buffer, and
// the sockets' netip methods avoid net.Addr allocations. RTCP (every ~5 s)
// uses pion/rtcp and does allocate.
package media
