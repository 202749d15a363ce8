/*
 * Every bound cors-wrap puts on untrusted input, in one place.
 * Request data is bounded before it is looked at; the script's header
 * block is bounded before it is parsed.
 */
#ifndef CORS_BOUNDS_H
#define CORS_BOUNDS_H

/* A serialised origin: scheme "://" host [":" port].  DNS names are at
 * most 253 bytes; the rest leaves room for the scheme, brackets and port. */
#define ORIGIN_MAX		512

/* Access-Control-Request-Headers: browsers send the CORS-unsafe names of
 * one request; real requests have a handful. */
#define REQ_HEADERS_MAX		4096
#define REQ_HEADER_NAMES_MAX	128

/* A method token; the longest registered method is 17 bytes. */
#define METHOD_MAX		64

/* The request path used to pick an INI section. */
#define PATH_MAX_BYTES		4096

/* The script's CGI header block.  nginx's default buffer holds 4 or 8 KiB,
 * Apache lines up to 8 KiB; 64 KiB is generous and still bounded. */
#define CGI_HEADER_MAX		65536
#define CGI_HEADER_LINES_MAX	256

/* Configuration. */
#define CONFIG_LIST_MAX		1024	/* entries in one list */
#define CONFIG_VALUE_MAX	65536	/* bytes of one value */
#define CONFIG_SECTIONS_MAX	256
#define MAX_AGE_MAX		2147483647L	/* delta-seconds, RFC 9111 1.2.2 */
#define CONFIG_FIELD_MAX	256	/* a header field value sent as set */
#define CONFIG_LIST_SENT_MAX	1000	/* methods, expose_headers: lists sent */

/* Access-Control-Expose-Headers listing a script's header names (expose_headers
 * * with credentials): a server's buffer for the whole header block may be
 * 4 KiB (nginx's fastcgi_buffer_size). */
#define EXPOSE_LIST_MAX		2048

/* A bound's value in a string literal, for messages: BOUND(EXPOSE_LIST_MAX)
 * is "2048". */
#define BOUND_(n)		#n
#define BOUND(n)		BOUND_(n)

#endif
