// The browser tests' page (tests/browser.bats), loaded from origin A,
// http://127.0.0.1:PORT.  Its query names the setups and their API origins,
// ?apache=http://localhost:P1&nginx=http://localhost:P2; it runs the one
// case list against each, both at once, and writes a line per setup and
// case into <pre id="report">:
//   SETUP CASE OUTCOME        (OUTCOME as call.js gives it)
// and "done" at the end.  Chromium's --dump-dom prints the page when the
// work is over (tests/lib/browser.bash).
'use strict';

const out = document.getElementById('report');
const lines = [];

function report(line) {
  lines.push(line);
  out.textContent = lines.join('\n') + '\n';
}

// Origin C, which the policy does not list: Chromium resolves any
// *.localhost name to loopback, so the same server serves it.
const OTHER = `http://other.localhost:${location.port}`;
let frames = 0;

// fromOther(URL, CREDS): the outcome of the same GET made by a page of
// origin C, in an iframe, which posts it back; with credentials when CREDS.
function fromOther(url, creds = false) {
  const id = String(++frames);
  const frame = document.createElement('iframe');
  return new Promise(resolve => {
    addEventListener('message', function got(e) {
      if (e.origin !== OTHER || !e.data || e.data.id !== id) return;
      removeEventListener('message', got);
      frame.remove();
      resolve(e.data.outcome);
    });
    frame.src = `${OTHER}/other.html?id=${id}&url=${encodeURIComponent(url)}` +
      (creds ? '&creds=1' : '');
    document.body.append(frame);
  });
}

const JSON_TYPE = { 'Content-Type': 'application/json' };

// The case list, run in order for each setup.  The query (c=...) only tells
// the requests apart in the logs; each section of policy.ini matches the
// path alone.
const cases = [
  ['simple', api => call(`${api}/b/simple?c=simple`)],
  ['simple-other-origin', api => fromOther(`${api}/b/simple?c=other`)],
  ['json-post', api => call(`${api}/b/json?c=post`,
    { method: 'POST', headers: JSON_TYPE, body: '{"answer":42}' })],
  ['method-refused', api => call(`${api}/b/json?c=delete`, { method: 'DELETE' })],
  ['header-allowed', api => call(`${api}/b/headers?c=allowed`,
    { headers: { 'X-Allowed': 'yes' } })],
  ['header-refused', api => call(`${api}/b/headers?c=refused`,
    { headers: { 'X-Refused': 'no' } })],
  // Sets the cookie the next three send.
  ['login', api => call(`${api}/b/creds/login`, { credentials: 'include' })],
  ['creds', api => call(`${api}/b/creds?c=creds`, { credentials: 'include' })],
  ['creds-off', api => call(`${api}/b/nocreds?c=creds-off`, { credentials: 'include' })],
  ['creds-wildcard', api => call(`${api}/b/wild?c=creds-wildcard`,
    { credentials: 'include' })],
  ['wildcard', api => call(`${api}/b/wild?c=wildcard`)],
  ['expose', api => call(`${api}/b/expose`, {}, ['X-Listed', 'X-Unlisted'])],
  ['expose-creds', api => call(`${api}/b/expose-creds`, { credentials: 'include' },
    ['X-Custom'])],
  ['expose-literal', api => call(`${api}/b/expose-literal`, { credentials: 'include' },
    ['X-Custom'])],
  ['error-500', api => call(`${api}/b/fail`)],
  ['die-502', api => call(`${api}/b/die`)],
  ['die-502-no-intercept', api => call(`${api}/b/die-off`)],
  // credentials_origins: the page's origin has credentials, origin C is
  // allowed without them.
  ['credsome', api => call(`${api}/b/credsome?c=credsome`, { credentials: 'include' })],
  ['credsome-other', api => fromOther(`${api}/b/credsome?c=other-creds`, true)],
  ['credsome-other-anon', api => fromOther(`${api}/b/credsome?c=other-anon`)],
];

// Preflight caching: a PUT to /b/cache and one to /b/nocache first, the
// same again after /b/sleep has held a request open for 6 s, longer than
// the 5 s Chromium keeps a preflight answer without Access-Control-Max-Age.
// Virtual time (--virtual-time-budget) stands still while a request is open,
// and the preflight cache runs on the real clock.
async function run(setup, api) {
  const put = { method: 'PUT' };
  const cache = [await call(`${api}/b/cache`, put)];
  const nocache = [await call(`${api}/b/nocache`, put)];
  const sleep = call(`${api}/b/sleep`);
  for (const [name, fn] of cases) report(`${setup} ${name} ${await fn(api)}`);
  report(`${setup} sleep ${await sleep}`);
  cache.push(await call(`${api}/b/cache`, put));
  nocache.push(await call(`${api}/b/nocache`, put));
  report(`${setup} cache ${cache.join(' | ')}`);
  report(`${setup} nocache ${nocache.join(' | ')}`);
}

Promise.all([...new URLSearchParams(location.search)].map(([setup, api]) =>
  run(setup, api).catch(e => report(`${setup} error ${e}`))))
  .then(() => report('done'));
