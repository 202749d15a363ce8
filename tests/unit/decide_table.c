/*
 * The rows of tests/unit/decide_cases.  Each expected value comes from the
 * documentation: cors-wrap(1) "Requests" and "The answer" (which fields,
 * Vary), cors-wrap.ini(5) (entries, keys, values, paths, precedence),
 * README "Differences from Flask-CORS".  Where they leave a detail open,
 * Flask-CORS's behaviour, which cors-wrap follows unless the Differences
 * table says otherwise (shared reference, section 1.3), decides; such rows
 * say so in a comment.
 */
#include "decide_cases.h"

#include <stdio.h>
#include <string.h>

/* A row names only the fields that are present: the rest are absent. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* ---- configurations ---- */

#define DEFAULTS	""
#define ONE		"origins = https://app.example.com\n"
#define LIST		"origins = https://app.example.com, https://*.example.org " \
			    "http://localhost:8080\n"
#define GLOB_PORT	"origins = https://*.example.com:8443\n"
#define REGEX		"origins = ~https://(app|admin)\\.example\\.com\n"
#define NULL_LISTED	"origins = null https://app.example.com\n"
#define STAR_AND_ONE	"origins = * https://app.example.com\n"
#define NO_ORIGINS	"origins =\n"
#define CREDS		"origins = https://app.example.com https://*.example.org\n" \
			    "supports_credentials = yes\n"
#define CREDS_ANY	"origins = ~.*\nsupports_credentials = on\n"
#define WILD		"origins = *\nsend_wildcard = yes\n"
#define WILD_ONCE	"origins = *\nsend_wildcard = yes\nalways_send = no\n"
#define WILD_LIST	"origins = https://app.example.com\nsend_wildcard = yes\n"
#define NOT_ALWAYS	"origins = https://app.example.com\nalways_send = no\n"
#define NOT_ALWAYS_ANY	"always_send = False\n"
#define FIRST_EXACT	"origins = https://c.example null ~https://a\\..* " \
			    "https://*.a.example https://b.example\n"
#define NO_EXACT	"origins = https://*.example.org null ~https://x\\..*\n"
#define METHODS		"methods = get, Post, PUT, put\n"
#define METHODS_ANY	"methods = *\n"
#define METHODS_NONE	"methods =\n"
#define HEADERS		"allow_headers = Content-Type, ~X-App-.*\n"
#define HEADERS_NONE	"allow_headers =\n"
#define HEADERS_ALIAS	"headers = X-A\n"
#define EXPOSE		"expose_headers = X-Total, ETag X-B\n"
#define EXPOSE_ANY	"expose_headers = *\n"
#define EXPOSE_ANY_CREDS	"origins = https://app.example.com\n" \
			    "expose_headers = X-Listed * X-B\n" \
			    "supports_credentials = yes\n"
#define EXPOSE_ONLY_ANY_CREDS	"origins = https://app.example.com\n" \
			    "expose_headers = *\nsupports_credentials = yes\n"
#define HEADERS_ANY_CREDS	"origins = https://app.example.com\n" \
			    "allow_headers = *\nsupports_credentials = yes\n"
#define TIMING		"origins = https://app.example.com\n" \
			    "timing_allow_origin = on\n"
#define TIMING_ANY	"timing_allow_origin = on\n"
#define TIMING_WILD	"origins = *\nsend_wildcard = yes\n" \
			    "timing_allow_origin = on\n"
#define CACHE		"origins = https://app.example.com\n" \
			    "preflight_cache_control = public, max-age=600\n"
#define CACHE_AUTO_OFF	CACHE "automatic_options = no\n"
#define AGE_10M		"max_age = 10m\n"
#define AGE_0		"max_age = 0\n"
#define AGE_1D		"max_age = 1d\n"
#define AGE_2H		"max_age = 2h\n"
#define AGE_30S		"max_age = 30s\n"
#define AGE_45		"max_age = 45\n"
#define AGE_MAX		"max_age = 2147483647\n"
#define AGE_EMPTY	"max_age =\n"
#define VARY_OFF	"vary_header = no\n"
#define VARY_OFF_WILD	"origins = *\nsend_wildcard = yes\nvary_header = 0\n"
#define PN		"origins = https://app.example.com\n" \
			    "allow_private_network = yes\n"
#define PN_OFF		"origins = https://app.example.com\n"
#define AUTO_OFF	"origins = https://app.example.com\n" \
			    "automatic_options = no\n"
#define INTERCEPT_OFF	"origins = https://app.example.com\n" \
			    "intercept_exceptions = no\npreflight_status = 200\n"
#define DEBUG		"origins = https://app.example.com\ndebug_header = on\n" \
			    "[public]\npath = /public/*\norigins = *\n"
#define FULL		"origins = https://app.example.com\n" \
			    "methods = GET, PUT\nallow_headers = Content-Type\n" \
			    "expose_headers = X-Request-Id\n" \
			    "supports_credentials = yes\nmax_age = 10m\n" \
			    "allow_private_network = yes\n"
#define RESOURCES	"origins = https://app.example.com\n" \
			    "[public]\npath = /api/public/*\norigins = *\n" \
			    "[status]\npath = /api/public/status\n" \
			    "origins = https://status.example.com\n" \
			    "[items]\npath = /api/*/items/*\nmethods = GET\n" \
			    "[abc]\npath = /a?c\nexpose_headers = X-Abc\n" \
			    "[class]\npath = /v[0-9]/*\nmax_age = 60\n" \
			    "[global]\nexpose_headers = X-Global\n"

/* ---- values ---- */

#define DEF_METHODS	"DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
#define V_ORIGIN	"Origin"
#define V_PRE		"Origin, Access-Control-Request-Method, " \
			    "Access-Control-Request-Headers"
#define V_PRE_PN	V_PRE ", Access-Control-Request-Private-Network"
#define V_PRE_STATIC	"Access-Control-Request-Method, " \
			    "Access-Control-Request-Headers"

#define APP		"https://app.example.com"
#define OTHER		"https://other.example.net"

/* Requests: an actual GET, and a preflight. */
#define GET(o)		.req = { .method = "GET", .origin = (o), .uri = "/x" }
#define PRE(o, m)	.req = { .method = "OPTIONS", .origin = (o), \
			    .acrm = (m), .uri = "/x" }
#define PREH(o, m, h)	.req = { .method = "OPTIONS", .origin = (o), \
			    .acrm = (m), .acrh = (h), .uri = "/x" }
#define PREPN(o, pn)	.req = { .method = "OPTIONS", .origin = (o), \
			    .acrm = "PUT", .acrpn = (pn), .uri = "/x" }
#define AT(u, o)	.req = { .method = "GET", .origin = (o), .uri = (u) }

/* Answers. */
#define ALLOWED(o)	.outcome = "allowed", .acao = (o)
#define REFUSED(why)	.outcome = "refused " why
#define NONE		.outcome = "none"

/* Overlong inputs, filled by decide_table_init. */
static char	 origin_512[513];	/* the longest origin allowed */
static char	 origin_513[514];
static char	 name_4096[4097];	/* the longest request field allowed */
static char	 name_4097[4098];
static char	 path_4097[4098];	/* "/" and 4096 bytes */
static char	 names_128[256];	/* "x,x,...": the most names allowed */
static char	 names_129[258];
static char	 method_64[65];		/* the longest method allowed */
static char	 method_65[66];
static char	 methods_65_ini[96];
static char	 cache_256[257];	/* the longest preflight_cache_control */
static char	 cache_256_ini[320];
static char	 cache_257_ini[320];

#define ORIGIN_512	origin_512
#define ORIGIN_513	origin_513
#define NAME_4096	name_4096
#define NAMES_128	names_128
#define METHOD_64	method_64

void
decide_table_init(void)
{
	size_t	 i;

	/* "https://", ten labels of 49 bytes and their dots, "test". */
	snprintf(origin_512, sizeof(origin_512), "https://");
	for (i = 0; i < 10; i++) {
		memset(origin_512 + 8 + i * 50, 'a', 49);
		origin_512[8 + i * 50 + 49] = '.';
	}
	memcpy(origin_512 + 508, "test", 5);
	snprintf(origin_513, sizeof(origin_513), "%ss", origin_512);
	memset(name_4096, 'a', 4096);
	snprintf(name_4097, sizeof(name_4097), "%sa", name_4096);
	snprintf(path_4097, sizeof(path_4097), "/%s", name_4096);
	names_128[0] = 'x';
	for (i = 1; i < 128; i++)
		memcpy(names_128 + 1 + (i - 1) * 2, ",x", 3);
	snprintf(names_129, sizeof(names_129), "%s,x", names_128);
	memset(method_64, 'M', 64);
	snprintf(method_65, sizeof(method_65), "%sM", method_64);
	snprintf(methods_65_ini, sizeof(methods_65_ini), "methods = %s\n",
	    method_65);
	snprintf(cache_256, sizeof(cache_256), "max-age=%0248d", 0);
	snprintf(cache_256_ini, sizeof(cache_256_ini),
	    "preflight_cache_control = %s\n", cache_256);
	snprintf(cache_257_ini, sizeof(cache_257_ini),
	    "preflight_cache_control = %s0\n", cache_256);
}

const struct decide_case decide_cases[] = {
	/* ---- requests without Origin: always_send ---- */
	{ "no Origin, origins *: the constant *", DEFAULTS, {}, GET(NULL),
	    { NONE, .acao = "*", .vary = V_ORIGIN } },
	{ "no Origin, one exact origin: that origin", ONE, {}, GET(NULL),
	    { NONE, .acao = APP, .vary = V_ORIGIN } },
	{ "no Origin: the first exact origin in byte order, not null, a glob "
	    "or a regex", FIRST_EXACT, {}, GET(NULL),
	    { NONE, .acao = "https://b.example", .vary = V_ORIGIN } },
	{ "no Origin and no exact origin listed: nothing", NO_EXACT, {},
	    GET(NULL), { NONE, .vary = V_ORIGIN } },
	{ "no Origin, empty origins: nothing", NO_ORIGINS, {}, GET(NULL),
	    { NONE, .vary = V_ORIGIN } },
	{ "no Origin, always_send off: nothing", NOT_ALWAYS, {}, GET(NULL),
	    { NONE, .vary = V_ORIGIN } },
	{ "no Origin, always_send off with origins *: nothing",
	    NOT_ALWAYS_ANY, {}, GET(NULL), { NONE, .vary = V_ORIGIN } },
	{ "no Origin: Expose-Headers and credentials come with always_send's "
	    "origin", FULL, {}, GET(NULL),
	    { NONE, .acao = APP, .acac = "true", .aceh = "X-Request-Id",
	    .vary = V_ORIGIN } },
	{ "no Origin, send_wildcard and always_send: a static * without Vary",
	    WILD, {}, GET(NULL), { NONE, .acao = "*" } },
	{ "no Origin, send_wildcard without always_send: nothing, Vary Origin",
	    WILD_ONCE, {}, GET(NULL), { NONE, .vary = V_ORIGIN } },
	{ "OPTIONS with Access-Control-Request-Method but no Origin is not a "
	    "preflight", DEFAULTS, {},
	    { .method = "OPTIONS", .acrm = "PUT", .uri = "/x" },
	    { NONE, .acao = "*", .vary = V_ORIGIN } },
	{ "no REQUEST_METHOD at all: an actual request", DEFAULTS, {},
	    { .origin = APP, .uri = "/x" },
	    { ALLOWED(APP), .vary = V_ORIGIN, .star_only = true } },

	/* ---- origins * ---- */
	{ "origins *: a valid origin is reflected as sent", DEFAULTS, {},
	    GET(OTHER), { ALLOWED(OTHER), .vary = V_ORIGIN,
	    .star_only = true } },
	{ "origins *: an IPv6 origin is reflected", DEFAULTS, {},
	    GET("http://[::1]:8080"), { ALLOWED("http://[::1]:8080"),
	    .vary = V_ORIGIN, .star_only = true } },
	{ "origins *: a custom scheme is an origin", DEFAULTS, {},
	    GET("chrome-extension://abcdef"),
	    { ALLOWED("chrome-extension://abcdef"), .vary = V_ORIGIN,
	    .star_only = true } },
	{ "origins *: upper case is reflected as sent", DEFAULTS, {},
	    GET("HTTPS://App.Example.COM"),
	    { ALLOWED("HTTPS://App.Example.COM"), .vary = V_ORIGIN,
	    .star_only = true } },
	{ "origins * does not allow the opaque origin null", DEFAULTS, {},
	    GET("null"), { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "origins *: an origin of 512 bytes is reflected", DEFAULTS, {},
	    GET(ORIGIN_512), { ALLOWED(ORIGIN_512), .vary = V_ORIGIN,
	    .star_only = true } },
	{ "origins *: an origin of 513 bytes is malformed", DEFAULTS, {},
	    GET(ORIGIN_513), { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "origins *: a preflight gets the default methods, no Allow-Headers "
	    "when none asked", DEFAULTS, {}, PRE(OTHER, "PUT"),
	    { ALLOWED(OTHER), .acam = DEF_METHODS, .vary = V_PRE,
	    .star_only = true } },

	/* ---- malformed origins: never reflected ---- */
	{ "an empty Origin is malformed, not absent", DEFAULTS, {}, GET(""),
	    { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "an origin with a trailing slash is malformed", DEFAULTS, {},
	    GET(APP "/"), { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "an origin with a path is malformed", DEFAULTS, {},
	    GET(APP "/path"), { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "an origin with a query is malformed", DEFAULTS, {},
	    GET(APP "?q"), { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "an origin with a fragment is malformed", DEFAULTS, {},
	    GET(APP "#f"), { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "an origin with a user name is malformed", DEFAULTS, {},
	    GET("https://user@app.example.com"),
	    { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "file:// without a host is malformed", DEFAULTS, {}, GET("file://"),
	    { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "a scheme alone is malformed", DEFAULTS, {}, GET("https"),
	    { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "a port over 65535 is malformed", DEFAULTS, {},
	    GET(APP ":65536"), { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "port 65535 is valid", DEFAULTS, {}, GET(APP ":65535"),
	    { ALLOWED(APP ":65535"), .vary = V_ORIGIN, .star_only = true } },
	{ "an empty port is malformed", DEFAULTS, {}, GET(APP ":"),
	    { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "a non-numeric port is malformed", DEFAULTS, {}, GET(APP ":8o"),
	    { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "a blank in the host is malformed", DEFAULTS, {},
	    GET("https://app example.com"),
	    { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "CR LF in an origin is malformed", DEFAULTS, {},
	    GET(APP "\r\nSet-Cookie: a=b"),
	    { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "a tab after the origin is malformed", DEFAULTS, {},
	    GET(APP "\t"), { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "an empty host label is malformed", DEFAULTS, {},
	    GET("https://app..example.com"),
	    { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "a host of punctuation is malformed", DEFAULTS, {},
	    GET("https://a$b.example"),
	    { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "a scheme starting with a digit is malformed", DEFAULTS, {},
	    GET("1http://app.example.com"),
	    { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "Null in another case is not the opaque origin", NULL_LISTED, {},
	    GET("Null"), { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "two origins in one field are malformed", DEFAULTS, {},
	    GET(APP " " OTHER), { REFUSED("origin-invalid"),
	    .vary = V_ORIGIN } },
	{ "two origins joined by a comma are malformed", DEFAULTS, {},
	    GET(APP ", " OTHER), { REFUSED("origin-invalid"),
	    .vary = V_ORIGIN } },
	{ "a malformed origin in a preflight refuses it", DEFAULTS, {},
	    PRE(APP "/", "PUT"), { REFUSED("origin-invalid"),
	    .vary = V_PRE } },
	{ "a non-ASCII host is malformed", DEFAULTS, {},
	    GET("https://\xc3\xa9xample.com"),
	    { REFUSED("origin-invalid"), .vary = V_ORIGIN } },

	/* ---- exact origins ---- */
	{ "exact: the listed origin is reflected", ONE, {}, GET(APP),
	    { ALLOWED(APP), .vary = V_ORIGIN } },
	{ "exact: compared without regard to case, reflected as sent", ONE, {},
	    GET("HTTPS://APP.EXAMPLE.COM"),
	    { ALLOWED("HTTPS://APP.EXAMPLE.COM"), .vary = V_ORIGIN } },
	{ "exact: another origin is refused", ONE, {}, GET(OTHER),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "exact: another scheme is refused", ONE, {},
	    GET("http://app.example.com"),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "exact: the default port written out is another origin", ONE, {},
	    GET(APP ":443"), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN } },
	{ "exact: a suffix of the listed origin is refused", ONE, {},
	    GET("https://pp.example.com"),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "exact: the listed origin as a prefix of another is refused", ONE, {},
	    GET(APP ".evil.net"), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN } },
	{ "exact: a subdomain of the listed origin is refused", ONE, {},
	    GET("https://x.app.example.com"),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "exact: null is refused when not listed", ONE, {}, GET("null"),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "exact: one origin of a list is reflected", LIST, {},
	    GET("http://localhost:8080"), { ALLOWED("http://localhost:8080"),
	    .vary = V_ORIGIN } },
	{ "exact: the same host without the listed port is refused", LIST, {},
	    GET("http://localhost"), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN } },
	{ "exact: another port is refused", LIST, {},
	    GET("http://localhost:8081"), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN } },

	/* ---- subdomain globs ---- */
	{ "glob: a subdomain is allowed", LIST, {},
	    GET("https://a.example.org"), { ALLOWED("https://a.example.org"),
	    .vary = V_ORIGIN } },
	{ "glob: a deeper subdomain is allowed", LIST, {},
	    GET("https://a.b.example.org"),
	    { ALLOWED("https://a.b.example.org"), .vary = V_ORIGIN } },
	{ "glob: the domain itself is refused", LIST, {},
	    GET("https://example.org"), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN } },
	{ "glob: a name ending in -domain is refused", LIST, {},
	    GET("https://evil-example.org"), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN } },
	{ "glob: a name ending in the domain without a dot is refused", LIST,
	    {}, GET("https://evilexample.org"),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "glob: the domain followed by more is refused", LIST, {},
	    GET("https://a.example.org.evil.net"),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "glob: another scheme is refused", LIST, {},
	    GET("http://a.example.org"), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN } },
	{ "glob without a port: an explicit port is refused", LIST, {},
	    GET("https://a.example.org:8443"),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "glob without a port: the default port written out is refused",
	    LIST, {}, GET("https://a.example.org:443"),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "glob: case does not matter", LIST, {},
	    GET("HTTPS://A.EXAMPLE.ORG"), { ALLOWED("HTTPS://A.EXAMPLE.ORG"),
	    .vary = V_ORIGIN } },
	{ "glob: an empty label before the domain is malformed", LIST, {},
	    GET("https://.example.org"), { REFUSED("origin-invalid"),
	    .vary = V_ORIGIN } },
	{ "glob with a port: that port is allowed", GLOB_PORT, {},
	    GET("https://a.example.com:8443"),
	    { ALLOWED("https://a.example.com:8443"), .vary = V_ORIGIN } },
	{ "glob with a port: no port is refused", GLOB_PORT, {},
	    GET("https://a.example.com"), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN } },
	{ "glob with a port: another port is refused", GLOB_PORT, {},
	    GET("https://a.example.com:8444"),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "glob: null is refused", LIST, {}, GET("null"),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },

	/* ---- regular expressions ---- */
	{ "regex: a matching origin is allowed", REGEX, {}, GET(APP),
	    { ALLOWED(APP), .vary = V_ORIGIN } },
	{ "regex: the other alternative is allowed", REGEX, {},
	    GET("https://admin.example.com"),
	    { ALLOWED("https://admin.example.com"), .vary = V_ORIGIN } },
	{ "regex: matched without regard to case", REGEX, {},
	    GET("HTTPS://ADMIN.EXAMPLE.COM"),
	    { ALLOWED("HTTPS://ADMIN.EXAMPLE.COM"), .vary = V_ORIGIN } },
	{ "regex: must match the whole origin, not a prefix", REGEX, {},
	    GET(APP ".evil.net"), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN } },
	{ "regex: must match the whole origin, not a suffix", REGEX, {},
	    GET("https://xapp.example.com"), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN } },
	{ "regex: a port makes it another string", REGEX, {},
	    GET(APP ":8443"), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN } },
	{ "regex: an escaped dot is not any character", REGEX, {},
	    GET("https://appxexample.com"), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN } },
	{ "regex: never matches null", CREDS_ANY, {}, GET("null"),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "regex: never matches a malformed origin", CREDS_ANY, {},
	    GET(APP "/"), { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "regex: no Origin gets nothing, a regex is not an origin to send",
	    REGEX, {}, GET(NULL), { NONE, .vary = V_ORIGIN } },

	/* ---- null ---- */
	{ "null listed: the opaque origin is reflected", NULL_LISTED, {},
	    GET("null"), { ALLOWED("null"), .vary = V_ORIGIN } },
	{ "null listed: a preflight from null is allowed", NULL_LISTED, {},
	    PRE("null", "GET"), { ALLOWED("null"), .acam = DEF_METHODS,
	    .vary = V_PRE } },
	{ "null listed: a host named null is another origin", NULL_LISTED, {},
	    GET("https://null"), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN } },
	{ "null listed: no Origin gets the exact origin, not null",
	    NULL_LISTED, {}, GET(NULL), { NONE, .acao = APP,
	    .vary = V_ORIGIN } },

	/* ---- credentials_origins: credentials for some origins only ---- */
#define CRED_SOME	"origins = https://app.example.com https://*.example.org\n" \
			    "credentials_origins = https://app.example.com\n"
#define CRED_STAR	"origins = * https://app.example.com\n" \
			    "credentials_origins = https://app.example.com " \
			    "~https://.*\\.example\\.net\n"
#define CRED_NULL	"origins = null https://app.example.com\n" \
			    "credentials_origins = null\n"
#define CRED_UNLISTED	"origins = https://app.example.com\n" \
			    "credentials_origins = https://b.example\n"
#define SUB		"https://a.example.org"
	{ "credentials_origins: an origin it lists gets Allow-Credentials",
	    CRED_SOME, {}, GET(APP),
	    { ALLOWED(APP), .acac = "true", .vary = V_ORIGIN } },
	{ "credentials_origins: an allowed origin it does not list gets an "
	    "anonymous answer that varies with Origin", CRED_SOME, {}, GET(SUB),
	    { ALLOWED(SUB), .vary = V_ORIGIN, .no_credentials = true } },
	{ "credentials_origins: a preflight from an origin it lists gets "
	    "Allow-Credentials", CRED_SOME, {}, PRE(APP, "PUT"),
	    { ALLOWED(APP), .acac = "true", .acam = DEF_METHODS,
	    .vary = V_PRE } },
	{ "credentials_origins: a preflight from an allowed origin it does not "
	    "list is anonymous", CRED_SOME, {}, PRE(SUB, "PUT"),
	    { ALLOWED(SUB), .acam = DEF_METHODS, .vary = V_PRE,
	    .no_credentials = true } },
	{ "credentials_origins allows no origin that origins does not",
	    CRED_UNLISTED, {}, GET("https://b.example"),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "credentials_origins: an origin allowed by an exact entry beside * "
	    "gets credentials", CRED_STAR, {}, GET(APP),
	    { ALLOWED(APP), .acac = "true", .vary = V_ORIGIN } },
	{ "credentials_origins: an origin only * allows gets none, though the "
	    "list matches it", CRED_STAR, {}, GET("https://x.example.net"),
	    { ALLOWED("https://x.example.net"), .vary = V_ORIGIN,
	    .star_only = true } },
	{ "credentials_origins: a listed null gets credentials", CRED_NULL, {},
	    GET("null"), { ALLOWED("null"), .acac = "true",
	    .vary = V_ORIGIN } },
	{ "credentials_origins: without Origin, always_send's answer has no "
	    "credentials", CRED_SOME, {}, GET(NULL),
	    { NONE, .acao = APP, .vary = V_ORIGIN } },
	{ "CORS_CREDENTIALS_ORIGINS narrows the file's origins to credentials",
	    "origins = https://app.example.com https://*.example.org\n",
	    { "CORS_CREDENTIALS_ORIGINS=https://*.example.org" }, GET(SUB),
	    { ALLOWED(SUB), .acac = "true", .vary = V_ORIGIN } },

	/* ---- enforce = report: what the policy refuses is answered
	 * permissively, without credentials ---- */
#define REPORT		"origins = https://app.example.com\nmethods = GET, PUT\n" \
			    "allow_headers = X-A\nexpose_headers = X-E\n" \
			    "max_age = 10m\nenforce = report\n"
#define REPORT_CREDS	"origins = https://app.example.com\n" \
			    "supports_credentials = yes\nenforce = report\n"
#define REPORT_SECTION	"origins = https://app.example.com\ndebug_header = on\n" \
			    "[new]\npath = /new/*\nenforce = report\n"
	{ "enforce = report: an origin the policy refuses is reflected",
	    REPORT, {}, GET(OTHER), { .outcome = "would-refuse "
	    "origin-not-allowed", .acao = OTHER, .aceh = "X-E",
	    .vary = V_ORIGIN } },
	{ "enforce = report: a preflight from a refused origin gets the method "
	    "and the header names it asks for, and no Max-Age", REPORT, {},
	    PREH(OTHER, "DELETE", "x-b,X-A"), { .outcome = "would-refuse "
	    "origin-not-allowed", .acao = OTHER, .aceh = "X-E",
	    .acam = "DELETE", .acah = "X-A, x-b", .vary = V_PRE } },
	{ "enforce = report: a method the policy refuses is allowed",
	    REPORT, {}, PRE(APP, "DELETE"), { .outcome = "would-refuse "
	    "method-not-allowed", .acao = APP, .aceh = "X-E",
	    .acam = "DELETE", .vary = V_PRE } },
	{ "enforce = report: an allowed preflight is answered as in enforcing "
	    "mode", REPORT, {}, PREH(APP, "PUT", "x-a,x-b"),
	    { ALLOWED(APP), .aceh = "X-E", .acam = "GET, PUT", .acah = "x-a",
	    .acma = "600", .vary = V_PRE } },
	{ "enforce = report: an invalid Origin is never reflected", REPORT, {},
	    GET(APP "/"), { REFUSED("origin-invalid"), .vary = V_ORIGIN } },
	{ "enforce = report: an invalid method stays refused", REPORT, {},
	    PRE(OTHER, "P(T"), { REFUSED("origin-not-allowed"),
	    .vary = V_PRE } },
	{ "enforce = report: an invalid header name stays refused", REPORT,
	    {}, PREH(APP, "DELETE", "x-a,x b"),
	    { REFUSED("method-not-allowed"), .vary = V_PRE } },
	{ "enforce = report: the opaque origin null stays refused, as "
	    "origins = * refuses it", REPORT, {}, GET("null"),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "enforce = report: a preflight from null stays refused", REPORT, {},
	    PRE("null", "GET"), { REFUSED("origin-not-allowed"),
	    .vary = V_PRE } },
	{ "enforce = report: an allowed origin keeps its credentials",
	    REPORT_CREDS, {}, GET(APP),
	    { ALLOWED(APP), .acac = "true", .vary = V_ORIGIN } },
	{ "enforce = report: a refused origin never gets credentials",
	    REPORT_CREDS, {}, GET(OTHER), { .outcome = "would-refuse "
	    "origin-not-allowed", .acao = OTHER, .vary = V_ORIGIN } },
	{ "enforce = report in a section: the debug header says report-only",
	    REPORT_SECTION, {}, AT("/new/x", OTHER), { .outcome = "would-refuse "
	    "origin-not-allowed", .acao = OTHER, .debug = "report-only; "
	    "origin-not-allowed; section=new", .vary = V_ORIGIN,
	    .section = "new" } },
	{ "enforce = report in a section leaves the other sections enforcing",
	    REPORT_SECTION, {}, AT("/x", OTHER),
	    { REFUSED("origin-not-allowed"), .debug = "miss; "
	    "origin-not-allowed; section=global", .vary = V_ORIGIN } },
	{ "enforce = report with send_wildcard: the constant *, never a "
	    "malformed Origin reflected", "origins = *\nsend_wildcard = yes\n"
	    "methods = GET\nenforce = report\n", {}, PRE(APP "/", "PUT"),
	    { .outcome = "would-refuse method-not-allowed", .acao = "*",
	    .acam = "PUT", .vary = V_PRE_STATIC } },
	{ "CORS_ENFORCE=report applies to every section", REPORT_SECTION,
	    { "CORS_ENFORCE=report" }, AT("/x", OTHER),
	    { .outcome = "would-refuse origin-not-allowed", .acao = OTHER,
	    .debug = "report-only; origin-not-allowed; section=global",
	    .vary = V_ORIGIN } },

	/* ---- * beside other entries: star_only ---- */
	{ "* and an exact origin: the exact one is not star_only",
	    STAR_AND_ONE, {}, GET(APP), { ALLOWED(APP), .vary = V_ORIGIN } },
	{ "* and an exact origin: another origin is star_only", STAR_AND_ONE,
	    {}, GET(OTHER), { ALLOWED(OTHER), .vary = V_ORIGIN,
	    .star_only = true } },
	{ "* and an exact origin: the exact one in another case is not "
	    "star_only", STAR_AND_ONE, {}, GET("https://APP.example.com"),
	    { ALLOWED("https://APP.example.com"), .vary = V_ORIGIN } },
	{ "* and an exact origin: no Origin gets *", STAR_AND_ONE, {},
	    GET(NULL), { NONE, .acao = "*", .vary = V_ORIGIN } },
	{ "a preflight allowed only by * is star_only", DEFAULTS, {},
	    PRE(OTHER, "GET"), { ALLOWED(OTHER), .acam = DEF_METHODS,
	    .vary = V_PRE, .star_only = true } },

	/* ---- empty origins ---- */
	{ "empty origins: every origin is refused", NO_ORIGINS, {},
	    GET(APP), { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "empty origins: null is refused", NO_ORIGINS, {}, GET("null"),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },

	/* ---- credentials ---- */
	{ "credentials: an allowed origin gets Allow-Credentials", CREDS, {},
	    GET(APP), { ALLOWED(APP), .acac = "true", .vary = V_ORIGIN } },
	{ "credentials: a subdomain glob gets Allow-Credentials", CREDS, {},
	    GET("https://a.example.org"), { ALLOWED("https://a.example.org"),
	    .acac = "true", .vary = V_ORIGIN } },
	{ "credentials: a refused origin gets no Allow-Credentials", CREDS, {},
	    GET(OTHER), { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "credentials: a preflight gets Allow-Credentials", CREDS, {},
	    PRE(APP, "PUT"), { ALLOWED(APP), .acac = "true",
	    .acam = DEF_METHODS, .vary = V_PRE } },
	{ "credentials: a refused preflight gets no Allow-Credentials", CREDS,
	    {}, PRE(APP, "PURGE"), { REFUSED("method-not-allowed"),
	    .vary = V_PRE } },
	{ "credentials: no Origin gets the first exact origin with "
	    "credentials", CREDS, {}, GET(NULL), { NONE, .acao = APP,
	    .acac = "true", .vary = V_ORIGIN } },
	{ "credentials with ~.*: any origin is reflected, not star_only",
	    CREDS_ANY, {}, GET(OTHER), { ALLOWED(OTHER), .acac = "true",
	    .vary = V_ORIGIN } },
	{ "credentials with ~.*: no Origin gets nothing", CREDS_ANY, {},
	    GET(NULL), { NONE, .vary = V_ORIGIN } },

	/* ---- send_wildcard ---- */
	{ "send_wildcard: an origin gets the constant *", WILD, {}, GET(APP),
	    { ALLOWED("*") } },
	{ "send_wildcard: null gets *", WILD, {}, GET("null"),
	    { ALLOWED("*") } },
	{ "send_wildcard: a malformed origin gets *", WILD, {},
	    GET(APP "/path"), { ALLOWED("*") } },
	{ "send_wildcard: an empty Origin gets *", WILD, {}, GET(""),
	    { ALLOWED("*") } },
	{ "send_wildcard: an overlong Origin gets *", WILD, {},
	    GET(ORIGIN_513), { ALLOWED("*") } },
	{ "send_wildcard: a preflight gets * and varies on the request "
	    "fields only", WILD, {}, PRE(APP, "PUT"), { ALLOWED("*"),
	    .acam = DEF_METHODS, .vary = V_PRE_STATIC } },
	{ "send_wildcard: a bad method still refuses the preflight", WILD, {},
	    PRE(APP, "P U T"), { REFUSED("method-invalid"),
	    .vary = V_PRE_STATIC } },
	{ "send_wildcard without always_send varies on Origin", WILD_ONCE, {},
	    GET(APP), { ALLOWED("*"), .vary = V_ORIGIN } },
	{ "send_wildcard without * in origins: the origin is reflected",
	    WILD_LIST, {}, GET(APP), { ALLOWED(APP), .vary = V_ORIGIN } },
	{ "send_wildcard without * in origins: others are refused", WILD_LIST,
	    {}, GET(OTHER), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN } },

	/* ---- methods ---- */
	{ "methods: an upper-case request of a listed method", DEFAULTS, {},
	    PRE(APP, "PATCH"), { ALLOWED(APP), .acam = DEF_METHODS,
	    .vary = V_PRE, .star_only = true } },
	{ "methods: patch in lower case is appended as sent", DEFAULTS, {},
	    PRE(APP, "patch"), { ALLOWED(APP), .acam = DEF_METHODS ", patch",
	    .vary = V_PRE, .star_only = true } },
	{ "methods: Delete in mixed case is appended as sent", DEFAULTS, {},
	    PRE(APP, "Delete"), { ALLOWED(APP),
	    .acam = DEF_METHODS ", Delete", .vary = V_PRE,
	    .star_only = true } },
	{ "methods: sent upper-cased, sorted and without duplicates", METHODS,
	    {}, PRE(APP, "POST"), { ALLOWED(APP), .acam = "GET, POST, PUT",
	    .vary = V_PRE, .star_only = true } },
	{ "methods: a method listed in lower case is matched", METHODS, {},
	    PRE(APP, "GET"), { ALLOWED(APP), .acam = "GET, POST, PUT",
	    .vary = V_PRE, .star_only = true } },
	{ "methods: an unlisted method refuses the preflight", METHODS, {},
	    PRE(APP, "DELETE"), { REFUSED("method-not-allowed"),
	    .vary = V_PRE } },
	{ "methods: a part of a listed method is not listed", METHODS, {},
	    PRE(APP, "ET"), { REFUSED("method-not-allowed"), .vary = V_PRE } },
	{ "methods: a listed method with more is not listed", METHODS, {},
	    PRE(APP, "GETX"), { REFUSED("method-not-allowed"),
	    .vary = V_PRE } },
	{ "methods: an actual request is not checked against them", METHODS,
	    {}, { .method = "DELETE", .origin = APP, .uri = "/x" },
	    { ALLOWED(APP), .vary = V_ORIGIN, .star_only = true } },
	{ "methods *: the requested method is echoed", METHODS_ANY, {},
	    PRE(APP, "PURGE"), { ALLOWED(APP), .acam = "PURGE",
	    .vary = V_PRE, .star_only = true } },
	{ "methods *: a lower-case method is echoed as sent", METHODS_ANY, {},
	    PRE(APP, "purge"), { ALLOWED(APP), .acam = "purge",
	    .vary = V_PRE, .star_only = true } },
	{ "methods *: a method of 64 bytes is echoed", METHODS_ANY, {},
	    PRE(APP, METHOD_64), { ALLOWED(APP), .acam = METHOD_64,
	    .vary = V_PRE, .star_only = true } },
	{ "methods *: a method of 65 bytes is invalid", METHODS_ANY, {},
	    PRE(APP, method_65), { REFUSED("method-invalid"),
	    .vary = V_PRE } },
	{ "methods *: a method that is not a token is invalid", METHODS_ANY,
	    {}, PRE(APP, "GET /"), { REFUSED("method-invalid"),
	    .vary = V_PRE } },
	{ "empty methods refuse every preflight", METHODS_NONE, {},
	    PRE(APP, "GET"), { REFUSED("method-not-allowed"), .vary = V_PRE } },
	{ "empty methods do not refuse an actual request", METHODS_NONE, {},
	    GET(APP), { ALLOWED(APP), .vary = V_ORIGIN, .star_only = true } },
	{ "methods: a method of 64 bytes that is not listed is not allowed",
	    DEFAULTS, {}, PRE(APP, METHOD_64), { REFUSED("method-not-allowed"),
	    .vary = V_PRE } },
	{ "methods: a method of 65 bytes is invalid", DEFAULTS, {},
	    PRE(APP, method_65), { REFUSED("method-invalid"),
	    .vary = V_PRE } },
	{ "methods: a method with a comma is invalid", DEFAULTS, {},
	    PRE(APP, "GET,PUT"), { REFUSED("method-invalid"), .vary = V_PRE } },
	{ "methods: a method with a CR LF is invalid", DEFAULTS, {},
	    PRE(APP, "GET\r\nX: y"), { REFUSED("method-invalid"),
	    .vary = V_PRE } },
	{ "methods: a method with a NUL-like control byte is invalid",
	    DEFAULTS, {}, PRE(APP, "GE\x01T"), { REFUSED("method-invalid"),
	    .vary = V_PRE } },
	{ "methods: a method in UTF-8 is invalid", DEFAULTS, {},
	    PRE(APP, "G\xc3\x89T"), { REFUSED("method-invalid"),
	    .vary = V_PRE } },
	{ "methods: an empty Access-Control-Request-Method is no preflight",
	    DEFAULTS, {}, PRE(APP, ""), { ALLOWED(APP), .vary = V_ORIGIN,
	    .star_only = true } },
	{ "methods: lower-case options is not a preflight", DEFAULTS, {},
	    { .method = "options", .origin = APP, .acrm = "PUT", .uri = "/x" },
	    { ALLOWED(APP), .vary = V_ORIGIN, .star_only = true } },
	{ "OPTIONS with Origin but without Access-Control-Request-Method is "
	    "an actual request", DEFAULTS, {},
	    { .method = "OPTIONS", .origin = APP, .uri = "/x" },
	    { ALLOWED(APP), .vary = V_ORIGIN, .star_only = true } },

	/* ---- allow_headers ---- */
	{ "allow_headers *: a requested name is echoed as sent", DEFAULTS, {},
	    PREH(APP, "PUT", "X-Custom"), { ALLOWED(APP),
	    .acam = DEF_METHODS, .acah = "X-Custom", .vary = V_PRE,
	    .star_only = true } },
	{ "allow_headers *: names are sorted and without duplicates",
	    DEFAULTS, {}, PREH(APP, "PUT", "x-b,x-a,x-b"), { ALLOWED(APP),
	    .acam = DEF_METHODS, .acah = "x-a, x-b", .vary = V_PRE,
	    .star_only = true } },
	/* Sorted as Flask-CORS sorts: by byte. */
	{ "allow_headers *: upper case sorts before lower case", DEFAULTS, {},
	    PREH(APP, "PUT", "x-a, X-B"), { ALLOWED(APP), .acam = DEF_METHODS,
	    .acah = "X-B, x-a", .vary = V_PRE, .star_only = true } },
	{ "allow_headers *: blanks around names are not part of them",
	    DEFAULTS, {}, PREH(APP, "PUT", "  x-a\t,\tx-b  "), { ALLOWED(APP),
	    .acam = DEF_METHODS, .acah = "x-a, x-b", .vary = V_PRE,
	    .star_only = true } },
	/* RFC 9110 5.6.1: empty list elements are accepted and ignored. */
	{ "allow_headers *: empty list elements are ignored", DEFAULTS, {},
	    PREH(APP, "PUT", ",x-a,,x-b,"), { ALLOWED(APP),
	    .acam = DEF_METHODS, .acah = "x-a, x-b", .vary = V_PRE,
	    .star_only = true } },
	{ "allow_headers *: an empty request list sends no Allow-Headers",
	    DEFAULTS, {}, PREH(APP, "PUT", ""), { ALLOWED(APP),
	    .acam = DEF_METHODS, .vary = V_PRE, .star_only = true } },
	{ "allow_headers *: a name of 4096 bytes is echoed", DEFAULTS, {},
	    PREH(APP, "PUT", NAME_4096), { ALLOWED(APP), .acam = DEF_METHODS,
	    .acah = NAME_4096, .vary = V_PRE, .star_only = true } },
	{ "a request header field over 4096 bytes refuses the preflight",
	    DEFAULTS, {}, PREH(APP, "PUT", name_4097),
	    { REFUSED("headers-too-many"), .vary = V_PRE } },
	{ "128 requested names are allowed", DEFAULTS, {},
	    PREH(APP, "PUT", NAMES_128), { ALLOWED(APP), .acam = DEF_METHODS,
	    .acah = "x", .vary = V_PRE, .star_only = true } },
	{ "129 requested names refuse the preflight", DEFAULTS, {},
	    PREH(APP, "PUT", names_129), { REFUSED("headers-too-many"),
	    .vary = V_PRE } },
	{ "a requested name with a blank inside is not a token", DEFAULTS, {},
	    PREH(APP, "PUT", "x-a, x b"), { REFUSED("header-invalid"),
	    .vary = V_PRE } },
	{ "a requested name with a colon is not a token", DEFAULTS, {},
	    PREH(APP, "PUT", "x-a:"), { REFUSED("header-invalid"),
	    .vary = V_PRE } },
	{ "a requested name with a semicolon is not a token", DEFAULTS, {},
	    PREH(APP, "PUT", "x-a;q=1"), { REFUSED("header-invalid"),
	    .vary = V_PRE } },
	{ "a requested name in UTF-8 is not a token", DEFAULTS, {},
	    PREH(APP, "PUT", "x-\xc3\xa9"), { REFUSED("header-invalid"),
	    .vary = V_PRE } },
	{ "a requested name with CR LF is not a token", DEFAULTS, {},
	    PREH(APP, "PUT", "x-a\r\nSet-Cookie: a"),
	    { REFUSED("header-invalid"), .vary = V_PRE } },
	{ "an invalid name refuses even when allow_headers lists none",
	    HEADERS_NONE, {}, PREH(APP, "PUT", "x(y)"),
	    { REFUSED("header-invalid"), .vary = V_PRE } },
	{ "allow_headers: a listed name is echoed as sent", HEADERS, {},
	    PREH(APP, "PUT", "content-type"), { ALLOWED(APP),
	    .acam = DEF_METHODS, .acah = "content-type", .vary = V_PRE,
	    .star_only = true } },
	{ "allow_headers: a regex item matches without regard to case",
	    HEADERS, {}, PREH(APP, "PUT", "X-APP-ID"), { ALLOWED(APP),
	    .acam = DEF_METHODS, .acah = "X-APP-ID", .vary = V_PRE,
	    .star_only = true } },
	{ "allow_headers: names not permitted are dropped, not refused",
	    HEADERS, {}, PREH(APP, "PUT", "x-other, x-app-id, content-type"),
	    { ALLOWED(APP), .acam = DEF_METHODS,
	    .acah = "content-type, x-app-id", .vary = V_PRE,
	    .star_only = true } },
	{ "allow_headers: no permitted name leaves the field out", HEADERS, {},
	    PREH(APP, "PUT", "x-other"), { ALLOWED(APP), .acam = DEF_METHODS,
	    .vary = V_PRE, .star_only = true } },
	{ "allow_headers: a regex item must match the whole name", HEADERS, {},
	    PREH(APP, "PUT", "y-x-app-1"), { ALLOWED(APP), .acam = DEF_METHODS,
	    .vary = V_PRE, .star_only = true } },
	{ "allow_headers: a literal does not match a longer name", HEADERS, {},
	    PREH(APP, "PUT", "content-type-x"), { ALLOWED(APP),
	    .acam = DEF_METHODS, .vary = V_PRE, .star_only = true } },
	{ "allow_headers: .* in a regex item matches the empty rest", HEADERS,
	    {}, PREH(APP, "PUT", "x-app-"), { ALLOWED(APP),
	    .acam = DEF_METHODS, .acah = "x-app-", .vary = V_PRE,
	    .star_only = true } },
	{ "empty allow_headers permits no name", HEADERS_NONE, {},
	    PREH(APP, "PUT", "content-type"), { ALLOWED(APP),
	    .acam = DEF_METHODS, .vary = V_PRE, .star_only = true } },
	{ "headers is an alias of allow_headers", HEADERS_ALIAS, {},
	    PREH(APP, "PUT", "x-a, x-b"), { ALLOWED(APP), .acam = DEF_METHODS,
	    .acah = "x-a", .vary = V_PRE, .star_only = true } },
	{ "an actual request gets no Allow-Headers", DEFAULTS, {},
	    { .method = "GET", .origin = APP, .acrh = "x-a", .uri = "/x" },
	    { ALLOWED(APP), .vary = V_ORIGIN, .star_only = true } },

	/* ---- expose_headers ---- */
	{ "expose_headers: sent sorted with an actual request", EXPOSE, {},
	    GET(APP), { ALLOWED(APP), .aceh = "ETag, X-B, X-Total",
	    .vary = V_ORIGIN, .star_only = true } },
	{ "expose_headers: sent with a preflight too", EXPOSE, {},
	    PRE(APP, "GET"), { ALLOWED(APP), .aceh = "ETag, X-B, X-Total",
	    .acam = DEF_METHODS, .vary = V_PRE, .star_only = true } },
	{ "expose_headers: not sent to a refused origin", EXPOSE, {},
	    GET("null"), { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "expose_headers: sent with always_send's *", EXPOSE, {}, GET(NULL),
	    { NONE, .acao = "*", .aceh = "ETag, X-B, X-Total",
	    .vary = V_ORIGIN } },

	{ "expose_headers *: an answer without credentials sends * as written",
	    EXPOSE_ANY, {}, GET(APP), { ALLOWED(APP), .aceh = "*",
	    .vary = V_ORIGIN, .star_only = true } },
	/* Fetch: beside credentials "*" is a header name; the merge lists
	 * the script's names after the configured ones left here. */
	{ "expose_headers *: with credentials only the names listed beside *",
	    EXPOSE_ANY_CREDS, {}, GET(APP), { ALLOWED(APP), .acac = "true",
	    .aceh = "X-B, X-Listed", .vary = V_ORIGIN } },
	{ "expose_headers * alone with credentials: an empty value, for the "
	    "script's names", EXPOSE_ONLY_ANY_CREDS, {}, GET(APP),
	    { ALLOWED(APP), .acac = "true", .aceh = "", .vary = V_ORIGIN } },
	{ "expose_headers * with credentials: a preflight gets no *",
	    EXPOSE_ANY_CREDS, {}, PRE(APP, "GET"), { ALLOWED(APP),
	    .acac = "true", .aceh = "X-B, X-Listed", .acam = DEF_METHODS,
	    .vary = V_PRE } },
	{ "expose_headers * with credentials: always_send's answer gets no *",
	    EXPOSE_ANY_CREDS, {}, GET(NULL), { NONE, .acao = APP,
	    .acac = "true", .aceh = "X-B, X-Listed", .vary = V_ORIGIN } },

	/* ---- allow_headers * with credentials ---- */
	/* Fetch: beside credentials "*" is a name and never covers
	 * Authorization: the requested names are echoed, as always. */
	{ "allow_headers * with credentials: the requested names are echoed, "
	    "not *", HEADERS_ANY_CREDS, {},
	    PREH(APP, "PUT", "x-custom, content-type"), { ALLOWED(APP),
	    .acac = "true", .acam = DEF_METHODS,
	    .acah = "content-type, x-custom", .vary = V_PRE } },
	{ "allow_headers * with credentials: Authorization is echoed by name",
	    HEADERS_ANY_CREDS, {}, PREH(APP, "PUT", "authorization, x-b"),
	    { ALLOWED(APP), .acac = "true", .acam = DEF_METHODS,
	    .acah = "authorization, x-b", .vary = V_PRE } },
	{ "allow_headers * with credentials: an invalid name still refuses",
	    HEADERS_ANY_CREDS, {}, PREH(APP, "PUT", "authorization, x b"),
	    { REFUSED("header-invalid"), .vary = V_PRE } },

	/* ---- timing_allow_origin ---- */
	{ "timing_allow_origin: an allowed request gets its Allow-Origin",
	    TIMING, {}, GET(APP), { ALLOWED(APP), .tao = APP,
	    .vary = V_ORIGIN } },
	{ "timing_allow_origin: a refused origin gets none", TIMING, {},
	    GET(OTHER), { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	/* Resource Timing checks the actual response only. */
	{ "timing_allow_origin: a preflight gets none", TIMING, {},
	    PRE(APP, "GET"), { ALLOWED(APP), .acam = DEF_METHODS,
	    .vary = V_PRE } },
	{ "timing_allow_origin: * when Allow-Origin is *", TIMING_WILD, {},
	    GET(APP), { ALLOWED("*"), .tao = "*" } },
	{ "timing_allow_origin: an origin only * allowed is mirrored",
	    TIMING_ANY, {}, GET(OTHER), { ALLOWED(OTHER), .tao = OTHER,
	    .vary = V_ORIGIN, .star_only = true } },
	{ "timing_allow_origin: always_send's origin without Origin", TIMING,
	    {}, GET(NULL), { NONE, .acao = APP, .tao = APP,
	    .vary = V_ORIGIN } },
	{ "timing_allow_origin: off by default", ONE, {}, GET(APP),
	    { ALLOWED(APP), .vary = V_ORIGIN } },

	/* ---- preflight_cache_control ---- */
	{ "preflight_cache_control: on an allowed preflight", CACHE, {},
	    PRE(APP, "GET"), { ALLOWED(APP), .acam = DEF_METHODS,
	    .cache_control = "public, max-age=600", .vary = V_PRE } },
	/* A browser caches no failed preflight; nor should a CDN. */
	{ "preflight_cache_control: not on a refused preflight", CACHE, {},
	    PRE(OTHER, "GET"), { REFUSED("origin-not-allowed"),
	    .vary = V_PRE } },
	{ "preflight_cache_control: not on an actual request", CACHE, {},
	    GET(APP), { ALLOWED(APP), .vary = V_ORIGIN } },
	{ "preflight_cache_control: not when the script answers preflights",
	    CACHE_AUTO_OFF, {}, PRE(APP, "GET"), { ALLOWED(APP),
	    .acam = DEF_METHODS, .vary = V_PRE } },
	{ "preflight_cache_control: a value of 256 bytes is sent",
	    cache_256_ini, {}, PRE(APP, "GET"), { ALLOWED(APP),
	    .acam = DEF_METHODS, .cache_control = cache_256, .vary = V_PRE,
	    .star_only = true } },
	{ "preflight_cache_control from the environment",
	    ONE, { "CORS_PREFLIGHT_CACHE_CONTROL=max-age=60" },
	    PRE(APP, "GET"), { ALLOWED(APP), .acam = DEF_METHODS,
	    .cache_control = "max-age=60", .vary = V_PRE } },

	/* ---- max_age ---- */
	{ "max_age 10m is sent as 600 seconds", AGE_10M, {}, PRE(APP, "GET"),
	    { ALLOWED(APP), .acma = "600", .acam = DEF_METHODS, .vary = V_PRE,
	    .star_only = true } },
	{ "max_age 0 is sent as 0", AGE_0, {}, PRE(APP, "GET"),
	    { ALLOWED(APP), .acma = "0", .acam = DEF_METHODS, .vary = V_PRE,
	    .star_only = true } },
	{ "max_age 1d is 86400 seconds", AGE_1D, {}, PRE(APP, "GET"),
	    { ALLOWED(APP), .acma = "86400", .acam = DEF_METHODS,
	    .vary = V_PRE, .star_only = true } },
	{ "max_age 2h is 7200 seconds", AGE_2H, {}, PRE(APP, "GET"),
	    { ALLOWED(APP), .acma = "7200", .acam = DEF_METHODS, .vary = V_PRE,
	    .star_only = true } },
	{ "max_age 30s is 30 seconds", AGE_30S, {}, PRE(APP, "GET"),
	    { ALLOWED(APP), .acma = "30", .acam = DEF_METHODS, .vary = V_PRE,
	    .star_only = true } },
	{ "max_age without a unit is seconds", AGE_45, {}, PRE(APP, "GET"),
	    { ALLOWED(APP), .acma = "45", .acam = DEF_METHODS, .vary = V_PRE,
	    .star_only = true } },
	{ "max_age 2147483647 is the largest", AGE_MAX, {}, PRE(APP, "GET"),
	    { ALLOWED(APP), .acma = "2147483647", .acam = DEF_METHODS,
	    .vary = V_PRE, .star_only = true } },
	{ "an empty max_age sends nothing", AGE_EMPTY, {}, PRE(APP, "GET"),
	    { ALLOWED(APP), .acam = DEF_METHODS, .vary = V_PRE,
	    .star_only = true } },
	{ "max_age is not sent with an actual request", AGE_10M, {}, GET(APP),
	    { ALLOWED(APP), .vary = V_ORIGIN, .star_only = true } },
	{ "max_age is not sent with a refused preflight", AGE_10M, {},
	    PRE(APP, "G E T"), { REFUSED("method-invalid"), .vary = V_PRE } },

	/* ---- vary_header ---- */
	{ "vary_header off: no Vary with an allowed request", VARY_OFF, {},
	    GET(APP), { ALLOWED(APP), .star_only = true } },
	{ "vary_header off: no Vary with a preflight", VARY_OFF, {},
	    PRE(APP, "GET"), { ALLOWED(APP), .acam = DEF_METHODS,
	    .star_only = true } },
	{ "vary_header off: no Vary with a refused request", VARY_OFF, {},
	    GET("null"), { REFUSED("origin-not-allowed") } },
	{ "vary_header off: no Vary without Origin", VARY_OFF, {}, GET(NULL),
	    { NONE, .acao = "*" } },
	{ "vary_header off with send_wildcard: no Vary on a preflight",
	    VARY_OFF_WILD, {}, PRE(APP, "GET"), { ALLOWED("*"),
	    .acam = DEF_METHODS } },
	{ "Vary: Origin with a single exact origin", ONE, {}, GET(APP),
	    { ALLOWED(APP), .vary = V_ORIGIN } },
	{ "Vary: a refused preflight still varies on the request fields", ONE,
	    {}, PRE(OTHER, "GET"), { REFUSED("origin-not-allowed"),
	    .vary = V_PRE } },

	/* ---- private network ---- */
	{ "private network: an allowed preflight asking gets the field", PN,
	    {}, PREPN(APP, "true"), { ALLOWED(APP), .acapn = "true",
	    .acam = DEF_METHODS, .vary = V_PRE_PN } },
	{ "private network: a preflight not asking gets no field", PN, {},
	    PRE(APP, "PUT"), { ALLOWED(APP), .acam = DEF_METHODS,
	    .vary = V_PRE_PN } },
	{ "private network: only the value true asks", PN, {},
	    PREPN(APP, "yes"), { ALLOWED(APP), .acam = DEF_METHODS,
	    .vary = V_PRE_PN } },
	/* Exactly "true", as Flask-CORS and the draft's browsers send it. */
	{ "private network: TRUE in upper case does not ask", PN, {},
	    PREPN(APP, "TRUE"), { ALLOWED(APP), .acam = DEF_METHODS,
	    .vary = V_PRE_PN } },
	{ "private network: an empty value does not ask", PN, {},
	    PREPN(APP, ""), { ALLOWED(APP), .acam = DEF_METHODS,
	    .vary = V_PRE_PN } },
	{ "private network off: nothing, and no Vary on the request field",
	    PN_OFF, {}, PREPN(APP, "true"), { ALLOWED(APP),
	    .acam = DEF_METHODS, .vary = V_PRE } },
	{ "private network: never on an actual request", PN, {},
	    { .method = "GET", .origin = APP, .acrpn = "true", .uri = "/x" },
	    { ALLOWED(APP), .vary = V_ORIGIN } },
	{ "private network: never on a refused preflight", PN, {},
	    PREPN(OTHER, "true"), { REFUSED("origin-not-allowed"),
	    .vary = V_PRE_PN } },
	{ "private network: never without Origin", PN, {},
	    { .method = "GET", .acrpn = "true", .uri = "/x" },
	    { NONE, .acao = APP, .vary = V_ORIGIN } },

	/* ---- options that do not change the fields ---- */
	{ "automatic_options off: a preflight's fields are the same", AUTO_OFF,
	    {}, PREH(APP, "PUT", "x-a"), { ALLOWED(APP), .acam = DEF_METHODS,
	    .acah = "x-a", .vary = V_PRE } },
	{ "automatic_options off: an actual request's fields are the same",
	    AUTO_OFF, {}, GET(APP), { ALLOWED(APP), .vary = V_ORIGIN } },
	{ "intercept_exceptions and preflight_status do not change the fields",
	    INTERCEPT_OFF, {}, PRE(APP, "PUT"), { ALLOWED(APP),
	    .acam = DEF_METHODS, .vary = V_PRE } },

	/* ---- every field at once ---- */
	{ "all options: a preflight gets every field", FULL, {},
	    { .method = "OPTIONS", .origin = APP, .acrm = "PUT",
	    .acrh = "content-type, x-other", .acrpn = "true", .uri = "/x" },
	    { ALLOWED(APP), .acac = "true", .aceh = "X-Request-Id",
	    .acam = "GET, PUT", .acah = "content-type", .acma = "600",
	    .acapn = "true", .vary = V_PRE_PN } },
	{ "all options: an actual request gets origin, credentials, expose",
	    FULL, {}, GET(APP), { ALLOWED(APP), .acac = "true",
	    .aceh = "X-Request-Id", .vary = V_ORIGIN } },
	{ "all options: a refused origin gets nothing", FULL, {}, GET(OTHER),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "all options: a refused method gets nothing", FULL, {},
	    PRE(APP, "DELETE"), { REFUSED("method-not-allowed"),
	    .vary = V_PRE_PN } },
	{ "all options: an invalid header name gets nothing", FULL, {},
	    PREH(APP, "PUT", "a b"), { REFUSED("header-invalid"),
	    .vary = V_PRE_PN } },

	/* ---- debug_header ---- */
	{ "debug_header: an allowed request is a hit", DEBUG, {}, GET(APP),
	    { ALLOWED(APP), .debug = "hit; section=global",
	    .vary = V_ORIGIN } },
	{ "debug_header: a refused request is a miss with its reason", DEBUG,
	    {}, GET(OTHER), { REFUSED("origin-not-allowed"),
	    .debug = "miss; origin-not-allowed; section=global",
	    .vary = V_ORIGIN } },
	{ "debug_header: an allowed preflight is a preflight-hit", DEBUG, {},
	    PRE(APP, "GET"), { ALLOWED(APP), .acam = DEF_METHODS,
	    .debug = "preflight-hit; section=global", .vary = V_PRE } },
	{ "debug_header: a refused preflight is a preflight-miss", DEBUG, {},
	    PRE(APP, "PURGE"), { REFUSED("method-not-allowed"),
	    .debug = "preflight-miss; method-not-allowed; section=global",
	    .vary = V_PRE } },
	{ "debug_header: names the resource section", DEBUG, {},
	    AT("/public/x", OTHER), { ALLOWED(OTHER),
	    .debug = "hit; section=public", .vary = V_ORIGIN,
	    .star_only = true, .section = "public" } },
	{ "debug_header: a path that cannot be decoded is a miss", DEBUG, {},
	    AT("/public/%zz", APP), { REFUSED("path-invalid"),
	    .debug = "miss; path-invalid; section=global",
	    .vary = V_ORIGIN } },
	{ "debug_header off: no X-CORS-Wrap", ONE, {}, GET(OTHER),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },

	/* ---- resources: which section applies ---- */
	{ "resources: a path under a /* pattern uses the section", RESOURCES,
	    {}, AT("/api/public/x", OTHER), { ALLOWED(OTHER),
	    .aceh = "X-Global", .vary = V_ORIGIN, .star_only = true,
	    .section = "public" } },
	{ "resources: /* also matches the path without it", RESOURCES, {},
	    AT("/api/public", OTHER), { ALLOWED(OTHER), .aceh = "X-Global",
	    .vary = V_ORIGIN, .star_only = true, .section = "public" } },
	{ "resources: /* matches the path with a trailing slash", RESOURCES,
	    {}, AT("/api/public/", OTHER), { ALLOWED(OTHER),
	    .aceh = "X-Global", .vary = V_ORIGIN, .star_only = true,
	    .section = "public" } },
	{ "resources: /* never matches a longer name", RESOURCES, {},
	    AT("/api/publicity", OTHER), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN } },
	{ "resources: a literal pattern before a glob", RESOURCES, {},
	    AT("/api/public/status", "https://status.example.com"),
	    { ALLOWED("https://status.example.com"), .aceh = "X-Global",
	    .vary = V_ORIGIN, .section = "status" } },
	{ "resources: the literal section does not inherit the glob's", 
	    RESOURCES, {}, AT("/api/public/status", OTHER),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN,
	    .section = "status" } },
	{ "resources: more slashes before fewer", RESOURCES, {},
	    { .method = "OPTIONS", .origin = APP, .acrm = "GET",
	    .uri = "/api/public/items/1" }, { ALLOWED(APP), .aceh = "X-Global",
	    .acam = "GET", .vary = V_PRE, .section = "items" } },
	{ "resources: a section's methods apply to its preflights", RESOURCES,
	    {}, { .method = "OPTIONS", .origin = APP, .acrm = "PUT",
	    .uri = "/api/v1/items/1" }, { REFUSED("method-not-allowed"),
	    .vary = V_PRE, .section = "items" } },
	{ "resources: a key the section does not set comes from the global "
	    "part", RESOURCES, {}, AT("/api/v1/items/1", APP), { ALLOWED(APP),
	    .aceh = "X-Global", .vary = V_ORIGIN, .section = "items" } },
	{ "resources: ? matches one character", RESOURCES, {},
	    AT("/abc", APP), { ALLOWED(APP), .aceh = "X-Abc", .vary = V_ORIGIN,
	    .section = "abc" } },
	{ "resources: ? does not match two characters", RESOURCES, {},
	    AT("/abbc", APP), { ALLOWED(APP), .aceh = "X-Global",
	    .vary = V_ORIGIN } },
	{ "resources: ? matches a slash too", RESOURCES, {},
	    AT("/a/c", APP), { ALLOWED(APP), .aceh = "X-Abc", .vary = V_ORIGIN,
	    .section = "abc" } },
	{ "resources: a class matches one of its characters", RESOURCES, {},
	    { .method = "OPTIONS", .origin = APP, .acrm = "GET",
	    .uri = "/v2/x" }, { ALLOWED(APP), .aceh = "X-Global",
	    .acma = "60", .acam = DEF_METHODS, .vary = V_PRE,
	    .section = "class" } },
	{ "resources: a class does not match another character", RESOURCES,
	    {}, AT("/vx/x", APP), { ALLOWED(APP), .aceh = "X-Global",
	    .vary = V_ORIGIN } },
	{ "resources: matching is case-sensitive", RESOURCES, {},
	    AT("/API/public/x", OTHER), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN } },
	{ "resources: the query is not part of the path", RESOURCES, {},
	    AT("/api/public/x?next=/admin", OTHER), { ALLOWED(OTHER),
	    .aceh = "X-Global", .vary = V_ORIGIN, .star_only = true,
	    .section = "public" } },
	{ "resources: a query that looks like a section is ignored",
	    RESOURCES, {}, AT("/admin?/api/public/x", OTHER),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "resources: the path is percent-decoded once", RESOURCES, {},
	    AT("/api/%70ublic/x", OTHER), { ALLOWED(OTHER), .aceh = "X-Global",
	    .vary = V_ORIGIN, .star_only = true, .section = "public" } },
	{ "resources: a double-encoded path is decoded once only", RESOURCES,
	    {}, AT("/api/%2570ublic/x", OTHER),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "resources: .. leaves the section", RESOURCES, {},
	    AT("/api/public/../admin", OTHER), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN } },
	{ "resources: encoded .. leaves the section", RESOURCES, {},
	    AT("/api/public/%2e%2e/admin", OTHER),
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "resources: .. into the section enters it", RESOURCES, {},
	    AT("/x/../api/public/y", OTHER), { ALLOWED(OTHER),
	    .aceh = "X-Global", .vary = V_ORIGIN, .star_only = true,
	    .section = "public" } },
	{ "resources: empty segments are removed", RESOURCES, {},
	    AT("//api///public//x", OTHER), { ALLOWED(OTHER),
	    .aceh = "X-Global", .vary = V_ORIGIN, .star_only = true,
	    .section = "public" } },
	{ "resources: . segments are removed", RESOURCES, {},
	    AT("/api/./public/./x", OTHER), { ALLOWED(OTHER),
	    .aceh = "X-Global", .vary = V_ORIGIN, .star_only = true,
	    .section = "public" } },
	{ "resources: .. above the root stays at the root", RESOURCES, {},
	    AT("/../../api/public/x", OTHER), { ALLOWED(OTHER),
	    .aceh = "X-Global", .vary = V_ORIGIN, .star_only = true,
	    .section = "public" } },
	{ "resources: a bad percent escape refuses the request", RESOURCES, {},
	    AT("/api/public/%zz", OTHER), { REFUSED("path-invalid"),
	    .vary = V_ORIGIN } },
	{ "resources: a truncated percent escape refuses the request",
	    RESOURCES, {}, AT("/api/public/%2", OTHER),
	    { REFUSED("path-invalid"), .vary = V_ORIGIN } },
	{ "resources: an encoded NUL refuses the request", RESOURCES, {},
	    AT("/api/public/%00", OTHER), { REFUSED("path-invalid"),
	    .vary = V_ORIGIN } },
	{ "resources: a path that cannot be decoded refuses an allowed origin",
	    RESOURCES, {}, AT("/x/%zz", APP), { REFUSED("path-invalid"),
	    .vary = V_ORIGIN } },
	{ "resources: a path that cannot be decoded refuses a preflight",
	    RESOURCES, {}, { .method = "OPTIONS", .origin = APP,
	    .acrm = "GET", .uri = "/x/%zz" }, { REFUSED("path-invalid"),
	    .vary = V_PRE } },
	{ "resources: a path of 4097 bytes refuses the request", RESOURCES,
	    {}, AT(path_4097, APP), { REFUSED("path-invalid"),
	    .vary = V_ORIGIN } },
	{ "resources: SCRIPT_NAME and PATH_INFO when there is no REQUEST_URI",
	    RESOURCES, {}, { .method = "GET", .origin = OTHER,
	    .script_name = "/api", .path_info = "/public/x" },
	    { ALLOWED(OTHER), .aceh = "X-Global", .vary = V_ORIGIN,
	    .star_only = true, .section = "public" } },
	{ "resources: SCRIPT_NAME and PATH_INFO are not decoded again",
	    RESOURCES, {}, { .method = "GET", .origin = OTHER,
	    .script_name = "/api", .path_info = "/%70ublic/x" },
	    { REFUSED("origin-not-allowed"), .vary = V_ORIGIN } },
	{ "resources: a REQUEST_URI not starting with / gives way to "
	    "SCRIPT_NAME", RESOURCES, {}, { .method = "GET", .origin = OTHER,
	    .uri = "*", .script_name = "/api/public", .path_info = "/x" },
	    { ALLOWED(OTHER), .aceh = "X-Global", .vary = V_ORIGIN,
	    .star_only = true, .section = "public" } },
	{ "resources: no path at all is / and the global policy", RESOURCES,
	    {}, { .method = "GET", .origin = APP }, { ALLOWED(APP),
	    .aceh = "X-Global", .vary = V_ORIGIN } },
	{ "resources: CORS_ORIGINS overrides origins in every section",
	    RESOURCES, { "CORS_ORIGINS=https://env.example" },
	    AT("/api/public/x", OTHER), { REFUSED("origin-not-allowed"),
	    .vary = V_ORIGIN, .section = "public" } },
	{ "resources: CORS_ORIGINS allows its origin in a section", RESOURCES,
	    { "CORS_ORIGINS=https://env.example" },
	    AT("/api/public/status", "https://env.example"),
	    { ALLOWED("https://env.example"), .aceh = "X-Global",
	    .vary = V_ORIGIN, .section = "status" } },
	{ "resources: CORS_EXPOSE_HEADERS overrides a section's own",
	    RESOURCES, { "CORS_EXPOSE_HEADERS=X-Env" }, AT("/abc", APP),
	    { ALLOWED(APP), .aceh = "X-Env", .vary = V_ORIGIN,
	    .section = "abc" } },
	{ "CORS_HEADERS is the alias of CORS_ALLOW_HEADERS", DEFAULTS,
	    { "CORS_HEADERS=X-A" }, PREH(APP, "PUT", "x-b, X-A"),
	    { ALLOWED(APP), .acam = DEF_METHODS, .acah = "X-A", .vary = V_PRE,
	    .star_only = true } },
	{ "booleans: ON, False and 1 in any case", "supports_credentials = ON\n"
	    "origins = https://app.example.com\nvary_header = False\n"
	    "allow_private_network = 1\n", {}, PREPN(APP, "true"),
	    { ALLOWED(APP), .acac = "true", .acapn = "true",
	    .acam = DEF_METHODS } },
	{ "INI: a quoted value with a # is one value", "expose_headers = "
	    "\"X-A#1 X-B\"\n", {}, GET(APP), { ALLOWED(APP),
	    .aceh = "X-A#1, X-B", .vary = V_ORIGIN, .star_only = true } },
	{ "INI: an unquoted ; starts a comment",
	    "expose_headers = X-A ; X-B\n", {}, GET(APP), { ALLOWED(APP),
	    .aceh = "X-A", .vary = V_ORIGIN, .star_only = true } },
	{ "INI: keys and sections are not case-sensitive",
	    "ORIGINS = https://app.example.com\n[Pub]\nPATH = /p/*\n"
	    "Expose_Headers = X-P\n", {}, AT("/p/x", APP), { ALLOWED(APP),
	    .aceh = "X-P", .vary = V_ORIGIN, .section = "pub" } },
};

const size_t	ndecide_cases = sizeof(decide_cases) / sizeof(decide_cases[0]);

/*
 * Configurations cors-wrap.ini(5) calls errors; each error line names the
 * key.  The first ones are the rule that credentials never go with "*".
 */
const struct config_case config_cases[] = {
	{ "credentials with origins * is an error",
	    "origins = *\nsupports_credentials = yes\n", {},
	    "supports_credentials" },
	{ "credentials with the default origins is an error",
	    "supports_credentials = yes\n", {}, "supports_credentials" },
	{ "credentials with * among other origins is an error",
	    "origins = https://app.example.com *\n"
	    "supports_credentials = yes\n", {}, "supports_credentials" },
	{ "credentials with * and send_wildcard is an error",
	    "origins = *\nsend_wildcard = yes\nsupports_credentials = yes\n",
	    {}, "supports_credentials" },
	{ "credentials inherited by a section that lists * is an error",
	    "origins = https://app.example.com\nsupports_credentials = yes\n"
	    "[public]\npath = /p/*\norigins = *\n", {},
	    "supports_credentials" },
	{ "CORS_SUPPORTS_CREDENTIALS with the default origins is an error",
	    "", { "CORS_SUPPORTS_CREDENTIALS=true" }, "supports_credentials" },
	{ "CORS_ORIGINS=* with credentials in the file is an error",
	    "origins = https://app.example.com\nsupports_credentials = yes\n",
	    { "CORS_ORIGINS=*" }, "supports_credentials" },
	{ "* in credentials_origins is an error",
	    "origins = https://app.example.com\ncredentials_origins = *\n", {},
	    "credentials_origins" },
	{ "credentials_origins with supports_credentials is an error",
	    "origins = https://app.example.com\nsupports_credentials = yes\n"
	    "credentials_origins = https://app.example.com\n", {},
	    "credentials_origins" },
	{ "credentials_origins with origins * and send_wildcard is an error",
	    "origins = *\nsend_wildcard = yes\n"
	    "credentials_origins = https://app.example.com\n", {},
	    "credentials_origins" },
	{ "an invalid credentials_origins entry is an error",
	    "credentials_origins = https://app.example.com/\n", {},
	    "credentials_origins" },
	{ "enforce = off is an error", "enforce = off\n", {}, "enforce" },
	{ "an origin with a path is an error",
	    "origins = https://app.example.com/\n", {}, "origins" },
	{ "a * inside a host is an error",
	    "origins = https://a*.example.com\n", {}, "origins" },
	{ "a * not followed by a dot is an error",
	    "origins = https://*example.com\n", {}, "origins" },
	{ "an origin with a port over 65535 is an error",
	    "origins = https://app.example.com:65536\n", {}, "origins" },
	{ "an invalid origin regex is an error", "origins = ~(\n", {},
	    "origins" },
	{ "an allow_headers name holding * is an error",
	    "allow_headers = X-.*\n", {}, "allow_headers" },
	{ "an allow_headers name holding ^ is an error",
	    "allow_headers = ^X-A\n", {}, "allow_headers" },
	{ "an allow_headers name holding | is an error",
	    "allow_headers = X-A|X-B\n", {}, "allow_headers" },
	{ "an allow_headers name holding + is an error",
	    "allow_headers = X-A+\n", {}, "allow_headers" },
	{ "an invalid allow_headers regex is an error",
	    "allow_headers = ~[\n", {}, "allow_headers" },
	{ "a method that is not a token is an error", "methods = GET, P(T\n",
	    {}, "methods" },
	{ "a method over 64 bytes is an error", methods_65_ini,
	    {}, "methods" },
	{ "max_age in weeks is an error", "max_age = 1w\n", {}, "max_age" },
	{ "a negative max_age is an error", "max_age = -1\n", {}, "max_age" },
	{ "max_age over 2147483647 seconds is an error",
	    "max_age = 2147483648\n", {}, "max_age" },
	{ "max_age with a blank before the unit is an error",
	    "max_age = 10 m\n", {}, "max_age" },
	{ "a boolean that is not one is an error", "send_wildcard = maybe\n",
	    {}, "send_wildcard" },
	{ "an empty boolean is an error", "always_send =\n", {},
	    "always_send" },
	{ "preflight_status 201 is an error", "preflight_status = 201\n", {},
	    "preflight_status" },
	{ "an unknown key is an error", "origin = https://app.example.com\n",
	    {}, "origin" },
	{ "an unknown CORS_ variable is an error", "",
	    { "CORS_ORIGNS=https://app.example.com" }, "CORS_ORIGNS" },
	{ "a section without path is an error", "[api]\nmethods = GET\n", {},
	    "path" },
	{ "a path not starting with / is an error",
	    "[api]\npath = api/*\n", {}, "path" },
	{ "path in the global part is an error", "path = /api/*\n", {},
	    "path" },
	{ "mode in a section is an error", "[api]\npath = /a\nmode = merge\n",
	    {}, "mode" },
	{ "both allow_headers and headers in the global part is an error",
	    "allow_headers = X-A\nheaders = X-B\n", {}, "headers" },
	{ "both CORS_ALLOW_HEADERS and CORS_HEADERS is an error", "",
	    { "CORS_ALLOW_HEADERS=X-A", "CORS_HEADERS=X-B" }, "CORS_HEADERS" },
	{ "a preflight_cache_control with CR LF is an error", "",
	    { "CORS_PREFLIGHT_CACHE_CONTROL=max-age=1\r\nSet-Cookie: a=b" },
	    "CORS_PREFLIGHT_CACHE_CONTROL: preflight_cache_control" },
	{ "a preflight_cache_control with a tab is an error", "",
	    { "CORS_PREFLIGHT_CACHE_CONTROL=max-age=1,\tpublic" },
	    "preflight_cache_control" },
	{ "a preflight_cache_control in UTF-8 is an error",
	    "preflight_cache_control = max-age=\xc3\xa9\n", {},
	    ".ini:1: preflight_cache_control" },
	{ "a preflight_cache_control over 256 bytes is an error",
	    cache_257_ini, {}, ".ini:1: preflight_cache_control" },
	{ "a key set twice is an error",
	    "origins = https://a.example\norigins = https://b.example\n", {},
	    "origins" },
};

const size_t	nconfig_cases = sizeof(config_cases) / sizeof(config_cases[0]);
