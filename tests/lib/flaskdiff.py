#!/usr/bin/python3
"""Differential test of cors-wrap against Flask-CORS (tests/flaskdiff.bats).

flaskdiff.py CORS_WRAP SCRIPT [CONFIGURATION]

Runs every request of a matrix, under every configuration of a matrix,
through a Flask app wrapped by flask_cors.CORS (Flask's in-process test
client) and through the real cors-wrap binary as a CGI program running
SCRIPT (a clean environment, the CORS_* variables equivalent to the Flask
options).  It compares the Access-Control-* fields and Vary: names are
case-folded, list values sorted.  A difference is allowed only where an
entry of EXCEPTIONS names it (README.md's "Differences from Flask-CORS",
or one between Debian's Flask-CORS 3.0.10 and the Flask-CORS 6 cors-wrap
follows); any other is printed with both answers and the run fails.  An
exception no case needed fails the run too, so that the list stays exact.
With CONFIGURATION (a name of CONFIGS), only that configuration runs, and
unused exceptions are not counted.
"""
import logging
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import flask
import flask_cors

FLASK_CORS_VERSION = getattr(flask_cors, "__version__", "?")

# --- configurations --------------------------------------------------------
# Each: a name, Flask-CORS keyword arguments, and the CORS_* variables that
# mean the same to cors-wrap.  Origin regexes differ in spelling only:
# Flask-CORS matches with re.match (anchored at the start), cors-wrap's ~RE
# matches the whole origin; the Flask spelling ends in $ so both mean one
# thing.

APP = "https://app.example.com"
OTHER = "https://other.example.org"
SUB = "https://a.example.com"
EVIL = "https://evil.example.net"
SUFFIXED = "https://a.example.com.evil.net"

GLOB_FLASK = r"https://.*\.example\.com"  # unanchored: README's first row
GLOB_CW = "https://*.example.com"
RE_FLASK = r"https://[a-z]+\.example\.com$"
RE_CW = r"~https://[a-z]+\.example\.com"


def config(name, env=None, **opts):
    return (name, opts, env or {})


CONFIGS = [
    config("defaults"),
    config("origins *", {"CORS_ORIGINS": "*"}, origins="*"),
    config("one origin", {"CORS_ORIGINS": APP}, origins=[APP]),
    config("two origins", {"CORS_ORIGINS": f"{APP}, {OTHER}"},
           origins=[APP, OTHER]),
    config("origin list with null", {"CORS_ORIGINS": f"{APP}, null"},
           origins=[APP, "null"]),
    config("regex origin", {"CORS_ORIGINS": RE_CW}, origins=[RE_FLASK]),
    config("subdomain glob", {"CORS_ORIGINS": f"{GLOB_CW}, {APP}"},
           origins=[GLOB_FLASK, APP]),
    config("methods GET PUT", {"CORS_METHODS": "GET, PUT"},
           methods=["GET", "PUT"]),
    config("methods GET PUT, one origin",
           {"CORS_METHODS": "GET, PUT", "CORS_ORIGINS": APP},
           methods=["GET", "PUT"], origins=[APP]),
    config("allow_headers list", {"CORS_ALLOW_HEADERS": "X-A, Content-Type"},
           allow_headers=["X-A", "Content-Type"]),
    config("allow_headers regex", {"CORS_ALLOW_HEADERS": "~X-.*"},
           allow_headers=["X-.*"]),
    config("expose_headers", {"CORS_EXPOSE_HEADERS": "X-Total, X-Page"},
           expose_headers=["X-Total", "X-Page"]),
    config("credentials, two origins",
           {"CORS_ORIGINS": f"{APP}, {OTHER}",
            "CORS_SUPPORTS_CREDENTIALS": "true"},
           origins=[APP, OTHER], supports_credentials=True),
    config("credentials, regex, expose",
           {"CORS_ORIGINS": RE_CW, "CORS_SUPPORTS_CREDENTIALS": "true",
            "CORS_EXPOSE_HEADERS": "X-Total"},
           origins=[RE_FLASK], supports_credentials=True,
           expose_headers=["X-Total"]),
    config("methods *", {"CORS_METHODS": "*"}, methods="*"),
    config("max_age 600", {"CORS_MAX_AGE": "600"}, max_age=600),
    config("max_age 0", {"CORS_MAX_AGE": "0"}, max_age=0),
    config("max_age 600, one origin, allow_headers",
           {"CORS_MAX_AGE": "600", "CORS_ORIGINS": APP,
            "CORS_ALLOW_HEADERS": "X-A"},
           max_age=600, origins=[APP], allow_headers=["X-A"]),
    config("send_wildcard", {"CORS_SEND_WILDCARD": "true"},
           send_wildcard=True),
    config("send_wildcard, expose", {"CORS_SEND_WILDCARD": "true",
                                     "CORS_EXPOSE_HEADERS": "X-Total"},
           send_wildcard=True, expose_headers=["X-Total"]),
    config("always_send off", {"CORS_ALWAYS_SEND": "false"},
           always_send=False),
    config("always_send off, one origin",
           {"CORS_ALWAYS_SEND": "false", "CORS_ORIGINS": APP},
           always_send=False, origins=[APP]),
    config("vary_header off, two origins",
           {"CORS_VARY_HEADER": "false", "CORS_ORIGINS": f"{APP}, {OTHER}"},
           vary_header=False, origins=[APP, OTHER]),
    config("vary_header off", {"CORS_VARY_HEADER": "false"},
           vary_header=False),
    config("automatic_options off", {"CORS_AUTOMATIC_OPTIONS": "false"},
           automatic_options=False),
    config("automatic_options off, one origin, methods",
           {"CORS_AUTOMATIC_OPTIONS": "false", "CORS_ORIGINS": APP,
            "CORS_METHODS": "GET, PUT"},
           automatic_options=False, origins=[APP], methods=["GET", "PUT"]),
]

# --- requests ----------------------------------------------------------------
# (method, Origin or None, Access-Control-Request-Method or None,
#  Access-Control-Request-Headers or None)

ORIGINS = [APP, OTHER, SUB, EVIL, SUFFIXED, "null"]
# Without Origin: a same-origin request, and an OPTIONS that only looks like
# a preflight.
REQUESTS = [("GET", None, None, None), ("PUT", None, None, None),
            ("OPTIONS", None, None, None), ("OPTIONS", None, "PUT", "x-a")]
for origin in ORIGINS:
    REQUESTS += [("GET", origin, None, None), ("PUT", origin, None, None),
                 ("OPTIONS", origin, None, None)]
    for acrm in ("PUT", "DELETE"):
        for acrh in (None, "content-type, x-a", "x-b"):
            REQUESTS.append(("OPTIONS", origin, acrm, acrh))
    REQUESTS.append(("OPTIONS", origin, "patch", None))
# The fifth member: the request carries Access-Control-Request-Private-Network:
# true (a Private Network Access preflight; allow_private_network stays at
# its default, false, on both sides).
REQUESTS = [r + (False,) for r in REQUESTS]
REQUESTS += [("OPTIONS", APP, "PUT", None, True),
             ("OPTIONS", "null", "PUT", None, True),
             ("GET", APP, None, None, True)]

FIELDS = ("access-control-allow-origin", "access-control-allow-credentials",
          "access-control-allow-methods", "access-control-allow-headers",
          "access-control-expose-headers", "access-control-max-age",
          "access-control-allow-private-network", "vary")
# Header names are case-insensitive; methods are not (README: cors-wrap
# echoes a requested "patch").
LISTS = {"access-control-allow-methods": str,
         "access-control-allow-headers": str.lower,
         "access-control-expose-headers": str.lower,
         "vary": str.lower}


def normalise(pairs):
    """{field: value} from (name, value) pairs: the fields compared, list
    values as a sorted, case-normalised tuple, others as the lines joined."""
    got = {}
    for name, value in pairs:
        name = name.strip().lower()
        if name in FIELDS:
            got.setdefault(name, []).append(value.strip())
    out = {}
    for name, values in got.items():
        if name in LISTS:
            items = {LISTS[name](v.strip()) for line in values
                     for v in line.split(",") if v.strip()}
            out[name] = tuple(sorted(items))
        else:
            out[name] = " | ".join(values)
    return out


# --- the Flask side ------------------------------------------------------------

def flask_app(opts):
    app = flask.Flask("flaskdiff")

    @app.route("/app", methods=["GET", "POST", "PUT"])
    def view():
        return "hello\n"

    flask_cors.CORS(app, **opts)
    return app.test_client()


def request_fields(req):
    """The request's header fields, (name, value), those it has."""
    _method, origin, acrm, acrh, pna = req
    names = ("Origin", "Access-Control-Request-Method",
             "Access-Control-Request-Headers",
             "Access-Control-Request-Private-Network")
    values = (origin, acrm, acrh, "true" if pna else None)
    return [(n, v) for n, v in zip(names, values) if v is not None]


def flask_answer(client, req):
    resp = client.open("/app", method=req[0], headers=request_fields(req))
    return normalise(resp.headers.items())


# --- the cors-wrap side ----------------------------------------------------------

def cw_answer(binary, script, env, req):
    cgi = {"PATH": "/usr/bin:/bin", "GATEWAY_INTERFACE": "CGI/1.1",
           "SERVER_PROTOCOL": "HTTP/1.1", "REQUEST_METHOD": req[0],
           "REQUEST_URI": "/app", "SCRIPT_NAME": "/app",
           "CORS_EXEC": script}
    for name, value in request_fields(req):
        cgi["HTTP_" + name.upper().replace("-", "_")] = value
    cgi.update(env)
    run = subprocess.run([binary], env=cgi, stdin=subprocess.DEVNULL,
                         capture_output=True, timeout=30, check=False)
    head = run.stdout.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    pairs = []
    for line in head.decode("latin-1").splitlines():
        if ":" in line:
            name, value = line.split(":", 1)
            pairs.append((name, value))
    status = next((v.strip() for n, v in pairs if n.lower() == "status"),
                  "200")
    # Under make check SANITIZE=1, as in tests/lib/common.bash's cgi: a
    # sanitizer report fails the run whatever the answer.
    if re.search(rb"ERROR: (Address|Leak)Sanitizer|runtime error:",
                 run.stderr) or run.returncode != 0 or status.startswith("5"):
        raise SystemExit(f"cors-wrap failed (exit {run.returncode}, "
                         f"Status {status}) under {env}:\n"
                         f"{run.stderr.decode(errors='replace')}")
    return normalise(pairs)


# --- the allowed differences ----------------------------------------------------
# Each: the name (README's row, or the version difference), a one-line
# reason, and a test of (case, field, flask value, cors-wrap value).  A case
# is a dict: opts (the Flask options), method, origin, acrm, acrh, pna and
# preflight (an OPTIONS with Origin and Access-Control-Request-Method).

CORS_FIELDS = FIELDS[:-1]


def origins_of(case):
    origins = case["opts"].get("origins", "*")
    return [origins] if isinstance(origins, str) else origins


def wildcard(case):
    return "*" in origins_of(case)


def vary_only_adds(case, _name, f, c, allowed):
    """cors-wrap's Vary has every token Flask's has, and the rest are in
    allowed."""
    if case["opts"].get("vary_header") is False:
        return False
    f, c = set(f or ()), set(c or ())
    return f <= c and (c - f) <= set(allowed)


# Flask-CORS 3.0.10 (Debian 12, with its backported CVE fixes) and 6 answer
# every case here alike but one: the Private Network Access fields, which
# Flask-CORS has had since 4.0.2.  The rules of such version differences are
# named in SINCE with the first major version they apply to; on an older
# Flask-CORS they are not checked for use.
MAJOR = int(FLASK_CORS_VERSION.split(".")[0])
PNA_ROW = ("README: `Access-Control-Allow-Private-Network: true/false` on any "
           "request that asks (Flask-CORS 4+; 3.0.10 sends it never)")
SINCE = {PNA_ROW: 4}

EXCEPTIONS = [
    (PNA_ROW,
     "allow_private_network = false: Flask-CORS 4+ answers false, cors-wrap "
     "and Flask-CORS 3.0.10 send nothing",
     lambda k, n, f, c: MAJOR >= 4 and k["pna"]
     and n == "access-control-allow-private-network" and f == "false"
     and c is None),
    ("README: `*` also allows the opaque origin `null`",
     "only a listed null allows null; under * cors-wrap sends no CORS field",
     lambda k, n, f, c: k["origin"] == "null" and wildcard(k)
     and not k["opts"].get("send_wildcard") and n in CORS_FIELDS
     and c is None),
    ("README: an origin string with regex characters is a regex, "
     "matched with re.match",
     "Flask's https://.*\\.example\\.com also matches "
     "https://a.example.com.evil.net; cors-wrap's glob does not",
     lambda k, n, f, c: k["origin"] == SUFFIXED
     and GLOB_FLASK in origins_of(k) and n in CORS_FIELDS and c is None),
    ("README: preflight with an unlisted method gets Allow-Origin "
     "but no Allow-Methods",
     "cors-wrap sends no CORS field to a refused preflight",
     lambda k, n, f, c: k["preflight"] and n in CORS_FIELDS and c is None
     and k["opts"].get("methods") != "*"
     and k["acrm"].upper() not in k["opts"].get("methods",
                                                 flask_cors.core.ALL_METHODS)),
    ("README: `methods = *` refuses every preflight",
     "cors-wrap allows any method and echoes it, with Allow-Headers and "
     "Max-Age as for any allowed preflight",
     lambda k, n, f, c: k["preflight"] and k["opts"].get("methods") == "*"
     and f is None and (c == (k["acrm"],) if
                        n == "access-control-allow-methods" else
                        n in ("access-control-allow-headers",
                              "access-control-max-age"))),
    ("README: requested method is upper-cased, never echoed",
     "a method allowed in another case (patch) is also listed as sent",
     lambda k, n, f, c: k["preflight"] and n == "access-control-allow-methods"
     and k["acrm"] != k["acrm"].upper() and f is not None and c is not None
     and set(c) - set(f) == {k["acrm"]} and set(f) <= set(c)),
    ("README: `max_age = 0` sends nothing",
     "cors-wrap sends Access-Control-Max-Age: 0 (0 disables caching; "
     "omitting it means 5 s)",
     lambda k, n, f, c: k["preflight"] and n == "access-control-max-age"
     and k["opts"].get("max_age") == 0 and f is None and c == "0"),
    ("README: `Vary: Origin` only when more than one origin or a regex "
     "is configured, and not on `*` answers",
     "cors-wrap adds Origin to Vary whenever the answer depends on it",
     lambda k, n, f, c: n == "vary" and vary_only_adds(k, n, f, c,
                                                       ["origin"])),
    ("README: preflights vary on `Origin` only",
     "cors-wrap's preflight answers also vary on the request's "
     "Access-Control-Request-Method and -Headers",
     lambda k, n, f, c: n == "vary" and k["preflight"]
     and vary_only_adds(k, n, f, c, ["origin",
                                     "access-control-request-method",
                                     "access-control-request-headers"])),
    ("README: an `OPTIONS` without `Origin` is a preflight",
     "cors-wrap: without Origin it is no preflight; it gets the actual "
     "request's fields, no Allow-Methods, -Headers or Max-Age",
     lambda k, n, f, c: k["method"] == "OPTIONS" and k["origin"] is None
     and k["acrm"] is not None and c is None
     and n in ("access-control-allow-methods", "access-control-allow-headers",
               "access-control-max-age")),
]


def excused(case, name, f, c):
    for rule, _reason, test in EXCEPTIONS:
        if test(case, name, f, c):
            return rule
    return None


def compare(cname, opts, env, req, fa, ca, used):
    """1, with the case printed, when the answers differ where no exception
    allows it; else 0, counting the exceptions used."""
    method, origin, acrm, acrh, pna = req
    case = {"opts": opts, "method": method, "origin": origin, "acrm": acrm,
            "acrh": acrh, "pna": pna, "preflight": method == "OPTIONS"
            and acrm is not None and origin is not None}
    bad = []
    for name in FIELDS:
        f, c = fa.get(name), ca.get(name)
        if f == c:
            continue
        rule = excused(case, name, f, c)
        if rule:
            used[rule] = used.get(rule, 0) + 1
        else:
            bad.append(f"  {name}: Flask-CORS {f!r}, cors-wrap {c!r}")
    if not bad:
        return 0
    print(f"DIFFERENCE [{cname}] {method} Origin={origin!r} "
          f"ACRM={acrm!r} ACRH={acrh!r} ACRPN={pna}\n"
          f"  options: {opts}  env: {env}\n"
          f"  Flask-CORS: {fa}\n  cors-wrap:  {ca}")
    print("\n".join(bad))
    return 1


def main():
    binary, script = sys.argv[1], sys.argv[2]
    configs = CONFIGS
    if len(sys.argv) > 3:
        configs = [c for c in CONFIGS if c[0] == sys.argv[3]]
        if not configs:
            raise SystemExit(f"no configuration named {sys.argv[3]!r}")
    logging.disable(logging.CRITICAL)
    failures = 0
    used = {}
    cases = 0
    # The cors-wrap runs are processes: a few at once while Python asks
    # Flask in this process.
    with ThreadPoolExecutor(max_workers=4) as pool:
        cw = {cname: pool.map(lambda r, e=env: cw_answer(binary, script, e, r),
                              REQUESTS)
              for cname, _opts, env in configs}
        for cname, opts, env in configs:
            client = flask_app(opts)
            for req, ca in zip(REQUESTS, cw[cname]):
                cases += 1
                failures += compare(cname, opts, env, req,
                                    flask_answer(client, req), ca, used)
    print(f"Flask-CORS {FLASK_CORS_VERSION}: {cases} cases, "
          f"{len(configs)} configurations, {failures} with an unexplained "
          f"difference")
    for rule, count in sorted(used.items()):
        print(f"  excused {count:4d} x {rule}")
    if configs is CONFIGS:
        for rule, _reason, _test in EXCEPTIONS:
            if rule not in used and MAJOR >= SINCE.get(rule, 0):
                print(f"UNUSED EXCEPTION (no case needs it): {rule}")
                failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
