// call(URL, INIT, READ): one fetch() and what the browser let the page see,
// on one line:
//   allowed STATUS BODY [NAME=[VALUE] ...]  (VALUE of each response header in
//                                           READ, "null" when hidden)
//   blocked ERROR                           (fetch() rejected)
// Chromium rejects a cross-origin fetch whose CORS check fails with a
// TypeError, whatever the server answered; the tests read the server's side
// in its logs.
'use strict';

async function call(url, init = {}, read = []) {
  let r;
  try {
    r = await fetch(url, init);
  } catch (e) {
    return `blocked ${e.name}: ${e.message}`;
  }
  const body = (await r.text()).trim().replace(/\s+/g, ' ');
  let line = `allowed ${r.status} ${body}`;
  for (const name of read) line += ` ${name}=[${r.headers.get(name)}]`;
  return line;
}
