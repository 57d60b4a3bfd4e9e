#!/bin/sh
# Regenerates the talk-off fixtures speech-*.wav used by pbx/dtmf tests:
# synthetic speech from espeak-ng, several voices, pitches and speeds, as
# 8 kHz 16-bit mono WAV. Needs: apt-get install espeak-ng sox.
# Output depends on the espeak-ng version (made with 1.51, Debian 12).
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# speak NAME VOICE SPEED PITCH TEXT
speak() {
	espeak-ng -v "$2" -s "$3" -p "$4" -w "$tmp/$1.wav" "$5"
	sox -R "$tmp/$1.wav" -r 8000 -c 1 -b 16 -e signed-integer "speech-$1.wav" norm -3
}

speak en-us-male en-us 160 50 \
	"Thank you for calling. Please hold the line while we connect you. \
Your call is important to us. Press one for sales, two for support, or stay \
on the line for an operator. Nine hundred and forty one, twelve oh nine."
speak en-us-female en-us+f3 140 70 \
	"Hello, this is the voicemail of extension four four seven. I'm away \
from my desk right now. Leave a message after the tone and I will call you \
back as soon as I can. Ooooh, eeeeh, aaaah, mmmm, hmmm."
speak en-gb-fast en-gb 210 40 \
	"The quick brown fox jumps over the lazy dog. She sells sea shells by \
the sea shore. Peter Piper picked a peck of pickled peppers. How much wood \
would a woodchuck chuck if a woodchuck could chuck wood?"
speak en-gb-slow-high en-gb+f4 110 90 \
	"Good morning everyone. Well, I think we should meet again on Tuesday \
at half past three. Yes, yes, that sounds lovely. Really? Wonderful!"
speak de-male de 150 30 \
	"Guten Tag, hier ist der automatische Anrufbeantworter. Bitte sprechen \
Sie nach dem Signalton. Eins, zwei, drei, vier, fuenf, sechs, sieben, acht."
speak fr-female fr+f2 170 60 \
	"Bonjour, vous etes bien sur la messagerie. Merci de laisser votre \
message apres le bip sonore. Un, deux, trois, quatre, cinq, six, sept."
speak es-low es+m3 130 20 \
	"Buenos dias, gracias por llamar. Por favor, espere un momento. \
Uno, dos, tres, cuatro, cinco, seis, siete, ocho, nueve, diez."
