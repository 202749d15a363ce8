#!/usr/bin/env python3
"""The Prometheus text exposition format (version 0.0.4), for tests/metrics.bats.

    exposition.py check FILE         every line a comment or a valid sample;
                                     every sample's metric has # HELP and
                                     # TYPE before it; no series twice;
                                     counters end in _total; the text ends
                                     with a newline.  Prints the faults.
    exposition.py value FILE SERIES  the value of SERIES, written as in the
                                     file (name{label="v",...}); 0 when the
                                     file has no such series.
    exposition.py behind OLD NEW     prints each counter series of OLD that
                                     NEW lacks or has smaller.
"""
import re
import sys

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r'^(%s)(\{(?:%s(?:,%s)*)?\})? (\S+)( -?[0-9]+)?$' % (NAME, LABEL, LABEL))
VALUE = re.compile(r'^(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|NaN|[+-]Inf)$')
HELP = re.compile(r'^# HELP (%s) (.*)$' % NAME)
TYPE = re.compile(r'^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$' % NAME)


def lines(path):
    with open(path, 'rb') as f:
        data = f.read()
    text = data.decode('utf-8')  # strict: invalid UTF-8 is a fault
    return text, text.split('\n')


def check(path):
    faults = []
    text, ls = lines(path)
    if not text.endswith('\n'):
        faults.append('the text does not end with a newline')
    helps, types, seen, sampled = {}, {}, set(), set()
    for n, line in enumerate(ls[:-1], 1):
        if line.startswith('#'):
            m = HELP.match(line)
            if m:
                if m.group(1) in helps:
                    faults.append('%d: a second HELP for %s' % (n, m.group(1)))
                helps[m.group(1)] = m.group(2)
                continue
            m = TYPE.match(line)
            if m:
                if m.group(1) in types or m.group(1) in sampled:
                    faults.append('%d: TYPE of %s after its samples or twice' % (n, m.group(1)))
                types[m.group(1)] = m.group(2)
                continue
            if line.startswith('# HELP') or line.startswith('# TYPE'):
                faults.append('%d: malformed: %r' % (n, line))
            continue
        m = SAMPLE.match(line)
        if not m or not VALUE.match(m.group(3)):
            faults.append('%d: neither a comment nor a sample: %r' % (n, line))
            continue
        name = m.group(1)
        sampled.add(name)
        if name not in helps or name not in types:
            faults.append('%d: %s has no HELP and TYPE before it' % (n, name))
        elif types[name] == 'counter' and not name.endswith('_total'):
            faults.append('%d: counter %s does not end in _total' % (n, name))
        series = name + (m.group(2) or '')
        if series in seen:
            faults.append('%d: %s twice' % (n, series))
        seen.add(series)
    for f in faults:
        print(f)
    return 1 if faults else 0


def value(path, series):
    _, ls = lines(path)
    for line in ls:
        if not line.startswith('#') and line.rsplit(' ', 1)[0] == series:
            print(line.rsplit(' ', 1)[1])
            return 0
    print(0)
    return 0


def samples(path):
    _, ls = lines(path)
    types, out = {}, {}
    for line in ls:
        m = TYPE.match(line)
        if m:
            types[m.group(1)] = m.group(2)
        elif line and not line.startswith('#'):
            series, v = line.rsplit(' ', 1)
            out[series] = (types.get(SAMPLE.match(line).group(1)), float(v))
    return out


def behind(old, new):
    a = samples(new)
    for series, (t, v) in samples(old).items():
        if t == 'counter' and (series not in a or a[series][1] < v):
            print('%s: %g, then %s' % (series, v, a[series][1] if series in a else 'none'))
    return 0


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == 'behind':
        sys.exit(behind(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 3 and sys.argv[1] == 'check':
        sys.exit(check(sys.argv[2]))
    if len(sys.argv) == 4 and sys.argv[1] == 'value':
        sys.exit(value(sys.argv[2], sys.argv[3]))
    sys.exit(__doc__)
