// Package alsa is the minimal ALSA PCM access the daemon needs on the target:
// open a hw device for interleaved 16-bit (or 8-bit G.711) capture and
// playback at 8 kHz, with a 20 ms period, and move one period at a time with
// the WRITEI/READI ioctls. It talks to /dev/snd/pcmC*D*{p,c} directly (no
// cgo, no libasound) and allocates nothing per period.
//
// Sources: the kernel's uapi header include/uapi/sound/asound.h (ioctl
// numbers and struct snd_pcm_hw_params, snd_xferi), and the hw_params
// refinement rules of Documentation/sound/ (ALSA driver API).
package alsa
