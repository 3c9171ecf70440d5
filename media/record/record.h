/*
 * media/record -- the room's audio as Ogg Opus (RFC 7845): the recording written by a
 * writer thread behind an SPSC ring, and the live pages of `listen.ogg` on their way to
 * the gateway. This is the header the layers above include; README.md has the overview.
 */
#ifndef PLENARY_MEDIA_RECORD_H
#define PLENARY_MEDIA_RECORD_H

#include "media/record/ogg_opus.h"
#include "media/record/page_ring.h"
#include "media/record/recorder.h"

#endif
