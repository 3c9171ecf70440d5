/*
 * rfc4571 -- see rfc4571.h. The length is checked against the limit as soon as its two
 * bytes are in, so a peer cannot make us wait for (or buffer) 64 KiB that we would refuse.
 */
#include "media/wire/rfc4571.h"

const char *rfc4571_strerror(enum rfc4571_err err)
{
	static const char *const names[] = {
	    [RFC4571_OK] = "ok",
	    [RFC4571_EPARTIAL] = "incomplete RFC 4571 frame",
	    [RFC4571_ETOOBIG] = "RFC 4571 frame longer than any packet of ours",
	    [RFC4571_EINVAL] = "invalid argument",
	    [RFC4571_ENOSPACE] = "payload too long for an RFC 4571 frame",
	};
	if ((unsigned)err < sizeof names / sizeof names[0] && names[err] != NULL)
		return names[err];
	return "unknown RFC 4571 error";
}

enum rfc4571_err rfc4571_split(const uint8_t *buf, size_t len, size_t max, size_t *payload_len,
			       size_t *consumed)
{
	if ((buf == NULL && len != 0) || payload_len == NULL || consumed == NULL)
		return RFC4571_EINVAL;
	if (max == 0)
		max = RFC4571_MAX_FRAME;
	else if (max > 65535)
		max = 65535;
	if (len < RFC4571_HEADER)
		return RFC4571_EPARTIAL;
	size_t n = (size_t)buf[0] << 8 | buf[1];
	if (n > max)
		return RFC4571_ETOOBIG;
	if (len - RFC4571_HEADER < n)
		return RFC4571_EPARTIAL;
	*payload_len = n;
	*consumed = RFC4571_HEADER + n;
	return RFC4571_OK;
}

enum rfc4571_err rfc4571_put_header(uint8_t out[RFC4571_HEADER], size_t payload_len)
{
	if (out == NULL)
		return RFC4571_EINVAL;
	if (payload_len > 65535)
		return RFC4571_ENOSPACE;
	out[0] = (uint8_t)(payload_len >> 8);
	out[1] = (uint8_t)payload_len;
	return RFC4571_OK;
}
