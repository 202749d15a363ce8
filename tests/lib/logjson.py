#!/usr/bin/env python3
"""cors-wrap's JSON log lines (log_format = json), for tests/logjson.bats.

    logjson.py check FILE        every line of FILE is one JSON object that a
                                 strict parser reads: printable ASCII, no key
                                 twice, "program" cors-wrap, a "level" and a
                                 "message"; the file ends with a newline.
                                 Prints each line as the text form says it,
                                 LEVEL: MESSAGE.  Exits 1 at the first fault.
    logjson.py field FILE TEXT KEY  the value of KEY in the first line whose
                                 message holds TEXT, as the object holds
                                 it; "(none)" when it has none.
    logjson.py text FILE         the lines of a text-form log, LEVEL: MESSAGE.
"""
import json
import sys

LEVELS = ('error', 'warn', 'info', 'debug')


def no_twice(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError('a key twice: %r' % keys)
    return dict(pairs)


def objects(path):
    with open(path, 'rb') as f:
        data = f.read()
    if data and not data.endswith(b'\n'):
        raise ValueError('the last line has no newline')
    out = []
    for n, raw in enumerate(data.split(b'\n')[:-1], 1):
        if any(b < 0x20 or b > 0x7e for b in raw):
            raise ValueError('line %d: a byte outside printable ASCII: %r' % (n, raw))
        try:
            o = json.loads(raw.decode('ascii'), object_pairs_hook=no_twice,
                           parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        except ValueError as e:
            raise ValueError('line %d: %s: %r' % (n, e, raw))
        if not isinstance(o, dict):
            raise ValueError('line %d: not an object: %r' % (n, raw))
        if o.get('program') != 'cors-wrap' or o.get('level') not in LEVELS or \
                not isinstance(o.get('message'), str) or \
                any(not isinstance(v, str) for v in o.values()):
            raise ValueError('line %d: fields: %r' % (n, raw))
        out.append(o)
    return out


def main(argv):
    try:
        if len(argv) == 3 and argv[1] == 'check':
            for o in objects(argv[2]):
                print('%s: %s' % (o['level'], o['message']))
            return 0
        if len(argv) == 5 and argv[1] == 'field':
            o = [o for o in objects(argv[2]) if argv[3] in o['message']][0]
            print(o.get(argv[4], '(none)'))
            return 0
        if len(argv) == 3 and argv[1] == 'text':
            with open(argv[2], 'rb') as f:
                for line in f.read().decode('ascii').split('\n')[:-1]:
                    if not line.startswith('cors-wrap: '):
                        raise ValueError('not a text line: %r' % line)
                    print(line[len('cors-wrap: '):])
            return 0
    except (ValueError, IndexError, UnicodeDecodeError) as e:
        print(e)
        return 1
    print(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
