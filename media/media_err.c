/*
 * media_strerror: the phrases of the module's one error enum (media.h). A file of its own
 * because every layer returns these codes and some print them, while media.c, the top,
 * calls the layers: the phrases sit below them all.
 */
#include "media/media.h"

const char *media_strerror(enum media_err err)
{
	switch (err) {
	case MEDIA_OK:
		return "ok";
	case MEDIA_ERR_PARAM:
		return "invalid argument";
	case MEDIA_ERR_NOMEM:
		return "out of memory";
	case MEDIA_ERR_SYSTEM:
		return "a system call failed";
	case MEDIA_ERR_CRYPTO:
		return "cryptography failed";
	case MEDIA_ERR_SDP:
		return "the SDP offer is malformed or cannot be answered";
	case MEDIA_ERR_FORBIDDEN:
		return "this role may not send audio";
	case MEDIA_ERR_BUSY:
		return "the media worker is busy";
	case MEDIA_ERR_FULL:
		return "no room left: a queue, the recorder's streams or the open mics";
	case MEDIA_ERR_TOOBIG:
		return "a packet or an output is too big";
	case MEDIA_ERR_STATE:
		return "not in a state for this call";
	case MEDIA_ERR_CODEC:
		return "libopus or libogg refused";
	case MEDIA_ERR_PACKET:
		return "a malformed Opus packet";
	case MEDIA_ERR_STALE:
		return "older than what was already sent";
	}
	return "unknown media error";
}
