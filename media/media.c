#include "media/media.h"

const char *media_srtp_backend(void)
{
	return PLENARY_SRTP_BACKEND;
}
