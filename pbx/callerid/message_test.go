package callerid

import (
	"bytes"
	"testing"
	"time"
)

// Expected bytes are worked out by hand from GR-30-CORE / EN 300 659-3; the
// checksum arithmetic is shown beside each so a reviewer can redo it.
func TestEncode(t *testing.T) {
	sep30 := time.Date(2026, time.September, 30, 12, 24, 0, 0, time.UTC)
	mar24 := time.Date(2026, time.March, 24, 9, 2, 0, 0, time.UTC)
	tests := []struct {
		name string
		got  []byte
		want []byte
	}{
		{
			// 0x04+0x12 = 22; "09301224" = 405; "6095551212" = 516;
			// 943 mod 256 = 175; 256-175 = 81 = 0x51.
			name: "sdmf number",
			got:  SDMF(Info{Time: sep30, Number: "6095551212"}),
			want: []byte{0x04, 0x12, '0', '9', '3', '0', '1', '2', '2', '4',
				'6', '0', '9', '5', '5', '5', '1', '2', '1', '2', 0x51},
		},
		{
			// 4+9+405+'P'(80) = 498; mod 256 = 242; 256-242 = 14 = 0x0E.
			name: "sdmf private",
			got:  SDMF(Info{Time: sep30, Number: "6095551212", NumberAbsent: Private}),
			want: []byte{0x04, 0x09, '0', '9', '3', '0', '1', '2', '2', '4', 'P', 0x0E},
		},
		{
			// 4+9+405+'O'(79) = 497 → 241 → 15 = 0x0F.
			name: "sdmf empty number is unavailable",
			got:  SDMF(Info{Time: sep30}),
			want: []byte{0x04, 0x09, '0', '9', '3', '0', '1', '2', '2', '4', 'O', 0x0F},
		},
		{
			// 4+0x12 = 22; "09301224" = 405; "5551234567" = 53*3+49+50+51+52+53+54+55 = 523;
			// 950 mod 256 = 182 → 74 = 0x4A. The 11th digit is cut (MaxSDMFNumber).
			name: "sdmf number truncated to 10",
			got:  SDMF(Info{Time: sep30, Number: "55512345678"}),
			want: []byte{0x04, 0x12, '0', '9', '3', '0', '1', '2', '2', '4',
				'5', '5', '5', '1', '2', '3', '4', '5', '6', '7', 0x4A},
		},
		{
			// 0x80+0x20 = 160; headers 1+8+2+10+7+8 = 36; "03240902" = 404;
			// "8005551212" = 509; "JOHN DOE" = 551; 1660 mod 256 = 124 → 132 = 0x84.
			name: "mdmf date number name",
			got:  MDMF(Info{Time: mar24, Number: "8005551212", Name: "JOHN DOE"}),
			want: []byte{0x80, 0x20,
				0x01, 0x08, '0', '3', '2', '4', '0', '9', '0', '2',
				0x02, 0x0A, '8', '0', '0', '5', '5', '5', '1', '2', '1', '2',
				0x07, 0x08, 'J', 'O', 'H', 'N', ' ', 'D', 'O', 'E',
				0x84},
		},
		{
			// 128+6+4+1+80+8+1+80 = 308 → 52 → 204 = 0xCC.
			name: "mdmf private, no date",
			got:  MDMF(Info{NumberAbsent: Private, NameAbsent: Private}),
			want: []byte{0x80, 0x06, 0x04, 0x01, 'P', 0x08, 0x01, 'P', 0xCC},
		},
		{
			// 128+3+4+1+79 = 215 → 41 = 0x29. No name parameter at all.
			name: "mdmf unavailable number, no name",
			got:  MDMF(Info{}),
			want: []byte{0x80, 0x03, 0x04, 0x01, 'O', 0x29},
		},
		{
			// 128+8+2+3+'1'+'0'+'1'(146) + 8+1+'O'(79) = 375 → 119 → 137 = 0x89.
			name: "mdmf number, name unavailable",
			got:  MDMF(Info{Number: "101", NameAbsent: 'x'}),
			want: []byte{0x80, 0x08, 0x02, 0x03, '1', '0', '1', 0x08, 0x01, 'O', 0x89},
		},
		{
			// 128+10+2+3+146+7+3+'Z'(90)+'o'(111)+'?'(63) = 563 → 51 → 205 = 0xCD.
			name: "mdmf name outside ASCII",
			got:  MDMF(Info{Number: "101", Name: "Zoë"}),
			want: []byte{0x80, 0x0A, 0x02, 0x03, '1', '0', '1', 0x07, 0x03, 'Z', 'o', '?', 0xCD},
		},
		// 130+3+11+1+255 = 400 → 144 → 112 = 0x70.
		{name: "vmwi mdmf on", got: VMWI(true, true), want: []byte{0x82, 0x03, 0x0B, 0x01, 0xFF, 0x70}},
		// 130+3+11+1+0 = 145 → 111 = 0x6F.
		{name: "vmwi mdmf off", got: VMWI(false, true), want: []byte{0x82, 0x03, 0x0B, 0x01, 0x00, 0x6F}},
		// 6+3+3*0x42 = 207 → 49 = 0x31.
		{name: "vmwi sdmf on", got: VMWI(true, false), want: []byte{0x06, 0x03, 0x42, 0x42, 0x42, 0x31}},
		// 6+3+3*0x6F = 342 → 86 → 170 = 0xAA.
		{name: "vmwi sdmf off", got: VMWI(false, false), want: []byte{0x06, 0x03, 0x6F, 0x6F, 0x6F, 0xAA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Equal(tt.got, tt.want) {
				t.Errorf("got  % X\nwant % X", tt.got, tt.want)
			}
		})
	}
}

func TestEncodeLimits(t *testing.T) {
	long := "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits := "1234567890123456789012345"
	m := MDMF(Info{Number: digits, Name: long})
	// type, len, 0x02, 20, digits, 0x07, 15, name, checksum
	if want := 2 + 2 + MaxNumber + 2 + MaxName + 1; len(m) != want {
		t.Fatalf("len = %d, want %d: % X", len(m), want, m)
	}
	if got := string(m[4 : 4+MaxNumber]); got != digits[:MaxNumber] {
		t.Errorf("number = %q", got)
	}
	if got := string(m[4+MaxNumber+2 : 4+MaxNumber+2+MaxName]); got != long[:MaxName] {
		t.Errorf("name = %q", got)
	}
	for _, msg := range [][]byte{m, SDMF(Info{Number: digits}), VMWI(true, true)} {
		var sum byte
		for _, c := range msg {
			sum += c
		}
		if sum != 0 || int(msg[1]) != len(msg)-3 {
			t.Errorf("bad framing % X", msg)
		}
	}
}

func TestAppendReusesBuffer(t *testing.T) {
	buf := make([]byte, 0, 64)
	in := Info{Time: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), Number: "5551212", Name: "A"}
	if n := testing.AllocsPerRun(100, func() { buf = AppendMDMF(buf[:0], in) }); n != 0 {
		t.Errorf("AppendMDMF allocs = %v", n)
	}
	if !bytes.Equal(buf, MDMF(in)) {
		t.Errorf("AppendMDMF differs from MDMF")
	}
}
