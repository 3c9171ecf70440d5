/*
 * media/mix -- one room's audio every 20 ms: the mic gate, talk detection, jitter buffers,
 * Opus decode for open mics only, the mix and mix-minus, one encode for every listener, and
 * the fan-out (SRTP protect and send per listener). Its building blocks are private to the
 * layer; the layers above see one object, the room mixer. README.md has the tick.
 */
#ifndef PLENARY_MEDIA_MIX_LAYER_H
#define PLENARY_MEDIA_MIX_LAYER_H

#include "media/mix/room_mixer.h"
/* The codec too, for a venue that speaks L16 (net/venue_rtp.c transcodes at the edge). */
#include "media/mix/opus_codec.h"

#endif
