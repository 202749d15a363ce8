#!/usr/bin/env bats
# The tables of configuration keys in README.md and the manual pages agree
# with the one cors-wrap reads (lib/config.c, printed by `cors-wrap --keys`):
# no key missing, none extra, the same aliases, defaults and scopes, and in
# README.md the same value syntax.  The man pages describe values in prose:
# of the syntax, only "boolean" is checked there.

load lib/common

setup_file() {
	"$CORS_WRAP" --keys >"$BATS_FILE_TMPDIR/keys"
}

# The awk functions the checks share.  The keys file comes first
# (tab-separated: INI ENV INI-ALIAS ENV-ALIAS SCOPE DEFAULT SYNTAX).
common='
BEGIN { FS = "\t" }
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
# "none" and "empty" are how the pages say a key has no default.
function nodefault(s) { return s == "none" || s == "empty" ? "" : s }
# The default an item of a man page states after "Default:", as text:
# ".Ql X ." gives X; plain words end at the first comma or the period.
function mandefault(text,    i, rest, lines) {
	if ((i = index(text, "Default:")) == 0)
		return "(none stated)"
	rest = substr(text, i + 8)
	split(rest, lines, "\n")
	rest = trim(lines[1])
	if (rest == "")
		rest = trim(lines[2])
	if (rest ~ /^\.Ql /) {
		rest = substr(rest, 5)
		sub(/ [.,;:]$/, "", rest)
		return nodefault(trim(rest))
	}
	sub(/,.*/, "", rest)
	sub(/\.$/, "", rest)
	return nodefault(trim(rest))
}
# Is the item about a boolean key?  Its text starts with "Boolean".
function saysbool(text) { return text ~ /^\n?Boolean/ }
'

# The items of a man page's list (-v start=SECTION, page=NAME; keep: a
# subsection heading inside it): item(w) takes the words of each .It line
# and sets cur; finish() checks the item, its lines in text.
manlist='
$0 == start { inlist = 1; next }
inlist && /^\.S[hs] / && $0 != keep { finish(); inlist = 0 }
!inlist { next }
/^\.Bl / { depth++; if (depth == 1) next }
/^\.El/ { depth--; if (depth == 0) { finish(); next } }
depth == 1 && /^\.It / { finish(); split($0, w, " "); item(w); text = ""; next }
cur != "" { text = text "\n" $0 }
END {
	for (k in want)
		if (!(k in seen))
			print page ": " k ": missing"
}
'

@test "cors-wrap --keys prints one row per key, each with an INI name, a scope and a syntax" {
	run awk -F '\t' 'NF != 7 || ($1 == "" && $5 != "environment") || $5 == "" || $7 == "" { print "bad row " NR ": " $0 }
		END { if (NR < 20) print "only " NR " rows" }' "$BATS_FILE_TMPDIR/keys"
	assert_output ''
}

@test "README.md's table of keys lists every key cors-wrap reads, with its aliases, syntax and default" {
	run awk "$common"'
	FNR == NR {
		if ($2 == "")		# path: no variable, not in the table
			next
		want[$2] = 1; ini[$2] = $1; ialias[$2] = $3; ealias[$2] = $4
		def[$2] = $6; syn[$2] = $7
		next
	}
	/^\| environment \| INI key \| value \| default \|$/ { intable = 1; next }
	intable && /^\|---/ { next }
	intable && !/^\|/ { intable = 0 }
	!intable { next }
	{
		line = $0
		gsub(/`/, "", line)
		sub(/^\|/, "", line)
		sub(/\|$/, "", line)
		if (split(line, c, /\|/) != 4) {
			print "README.md: not four columns: " $0
			next
		}
		for (i = 1; i <= 4; i++)
			c[i] = trim(c[i])
		env = c[1]; ea = ""
		if (match(env, / \(.*\)$/)) {
			ea = substr(env, RSTART + 2, RLENGTH - 3)
			env = substr(env, 1, RSTART - 1)
		}
		key = c[2]; ia = ""
		if (match(key, / \(.*\)$/)) {
			ia = substr(key, RSTART + 2, RLENGTH - 3)
			key = substr(key, 1, RSTART - 1)
		}
		if (!(env in want)) {
			print "README.md: " env ": not a variable cors-wrap reads"
			next
		}
		seen[env] = 1
		if (key != ini[env])
			print "README.md: " env ": INI key \"" key "\", cors-wrap has \"" ini[env] "\""
		if (ia != ialias[env] || ea != ealias[env])
			print "README.md: " env ": aliases \"" ia "\", \"" ea "\", cors-wrap has \"" ialias[env] "\", \"" ealias[env] "\""
		# The syntax, then maybe ": more" or " (more)".
		v = c[3]; s = syn[env]
		if (v != s && index(v, s ": ") != 1 && index(v, s " (") != 1)
			print "README.md: " env ": value \"" v "\", cors-wrap has \"" s "\""
		d = c[4] == "not sent" ? "" : nodefault(c[4])
		if (d != def[env])
			print "README.md: " env ": default \"" c[4] "\", cors-wrap has \"" def[env] "\""
	}
	END {
		for (e in want)
			if (!(e in seen))
				print "README.md: " e ": missing"
	}' "$BATS_FILE_TMPDIR/keys" "$TOP/README.md"
	assert_output ''
}

@test "cors-wrap.ini(5) describes every INI key, with its variable, aliases, scope, default and whether it is a boolean" {
	run awk -v start='.Ss Keys' -v page=cors-wrap.ini.5 "$common"'
	FNR == NR {
		if ($1 == "")		# CORS_CONFIG: no INI key
			next
		want[$1] = 1; env[$1] = $2; ialias[$1] = $3; ealias[$1] = $4
		scope[$1] = $5; def[$1] = $6; syn[$1] = $7
		next
	}
	function finish(    first) {
		if (cur == "")
			return
		if (!(cur in want)) {
			print "cors-wrap.ini.5: " cur ": not a key cors-wrap reads"
			cur = ""
			return
		}
		seen[cur] = 1
		if (curenv != env[cur])
			print "cors-wrap.ini.5: " cur ": variable \"" curenv "\", cors-wrap has \"" env[cur] "\""
		if (ialias[cur] != "" && index(text, "\n.Cm " ialias[cur] "\n") == 0)
			print "cors-wrap.ini.5: " cur ": alias " ialias[cur] " not named"
		if (ealias[cur] != "" && index(text, "\n.Ev " ealias[cur] "\n") == 0)
			print "cors-wrap.ini.5: " cur ": alias " ealias[cur] " not named"
		first = (text ~ /^\nGlobal only\./) ? "global" : \
		    (text ~ /^\nResource sections only/) ? "section" : "any"
		if (first != scope[cur])
			print "cors-wrap.ini.5: " cur ": scope " first ", cors-wrap has " scope[cur]
		if (saysbool(text) != (syn[cur] == "boolean"))
			print "cors-wrap.ini.5: " cur ": boolean or not, unlike cors-wrap (" syn[cur] ")"
		d = mandefault(text)
		if (d != def[cur] && !(d == "(none stated)" && def[cur] == ""))
			print "cors-wrap.ini.5: " cur ": default \"" d "\", cors-wrap has \"" def[cur] "\""
		cur = ""
	}
	function item(w) {
		cur = w[3]
		curenv = w[4] == "Pq" && w[5] == "Ev" ? w[6] : ""
	}'"$manlist" "$BATS_FILE_TMPDIR/keys" "$TOP/man/cors-wrap.ini.5"
	assert_output ''
}

@test "cors-wrap(1) ENVIRONMENT lists every CORS_* variable, with its alias, default and whether it is a boolean" {
	run awk -v start='.Sh ENVIRONMENT' -v keep='.Ss Configuration' \
	    -v page=cors-wrap.1 "$common"'
	FNR == NR {
		if ($2 == "")		# path: no variable
			next
		want[$2] = 1; ealias[$2] = $4; def[$2] = $6; syn[$2] = $7
		next
	}
	function finish() {
		if (cur == "")
			return
		if (!(cur in want)) {
			print "cors-wrap.1: " cur ": not a variable cors-wrap reads"
			cur = ""
			return
		}
		seen[cur] = 1
		if (ealias[cur] != curalias)
			print "cors-wrap.1: " cur ": alias \"" curalias "\", cors-wrap has \"" ealias[cur] "\""
		if (saysbool(text) != (syn[cur] == "boolean"))
			print "cors-wrap.1: " cur ": boolean or not, unlike cors-wrap (" syn[cur] ")"
		d = mandefault(text)
		if (d != def[cur])
			print "cors-wrap.1: " cur ": default \"" d "\", cors-wrap has \"" def[cur] "\""
		cur = ""
	}
	function item(w) {
		cur = w[3]
		curalias = w[4] == "," && w[5] == "Ev" ? w[6] : ""
	}'"$manlist" "$BATS_FILE_TMPDIR/keys" "$TOP/man/cors-wrap.1"
	assert_output ''
}
