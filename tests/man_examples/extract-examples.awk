# SPDX-License-Identifier: GPL-2.0
#
# Extracts the example programs and their shell sessions from man page
# sources (groff man(7), man-pages conventions).
#
#   awk -v outdir=DIR -f extract-examples.awk PAGE...   writes the files
#   awk -v mode=list -f extract-examples.awk PAGE...    prints the names
#
# A program is the .EX/.EE block between
#   .\" SRC BEGIN (NAME.c)        and        .\" SRC END
# and is written to DIR/NAME.c.  Its shell session is the .EX/.EE block
# between
#   .\" SESSION BEGIN (NAME)      and        .\" SESSION END
# whose first line is the command ("$ ./NAME ARGS", fonts allowed) and
# whose other lines are the expected standard output, written to
# DIR/NAME.out.  Every program needs a session and every session a program.
#
# Inside the blocks the groff escapes that man pages use in code are turned
# back into characters: \e \- \& \% \~ "\ " \(aq \(dq \(ti \(ha \(ga \(rs,
# the same glyphs in \[..] form, and the font changes \fB \fI \fR \fP \f[..]
# (removed).  Any other escape, and any request line other than a comment,
# is an error: it would make the extracted program differ from the page.
# Exit status: 0, or 1 after printing FILE:LINE: reason for each problem.

function problem(msg) {
	printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
	errors++
}

function glyph(name) {
	if (name == "aq") return "'"
	if (name == "dq") return "\""
	if (name == "ti") return "~"
	if (name == "ha") return "^"
	if (name == "ga") return "`"
	if (name == "rs") return "\\"
	return ""
}

# The text of a line of an .EX block with its escapes converted.
function unescape(line,    out, rest, g, i) {
	out = ""
	while ((i = index(line, "\\")) > 0) {
		out = out substr(line, 1, i - 1)
		rest = substr(line, i + 1)
		if (rest ~ /^e/) {
			out = out "\\"; line = substr(rest, 2)
		} else if (rest ~ /^-/) {
			out = out "-"; line = substr(rest, 2)
		} else if (rest ~ /^[&%]/) {
			line = substr(rest, 2)
		} else if (rest ~ /^[ ~]/) {
			out = out " "; line = substr(rest, 2)
		} else if (rest ~ /^\([a-z][a-z]/ && (g = glyph(substr(rest, 2, 2))) != "") {
			out = out g; line = substr(rest, 4)
		} else if (rest ~ /^\[[a-z][a-z]\]/ && (g = glyph(substr(rest, 2, 2))) != "") {
			out = out g; line = substr(rest, 5)
		} else if (rest ~ /^f[BIRP]/) {
			line = substr(rest, 3)
		} else if (rest ~ /^f\[[A-Z]*\]/) {
			line = substr(rest, index(rest, "]") + 1)
		} else {
			problem("unsupported escape \\" substr(rest, 1, 3) " in an example")
			line = rest
		}
	}
	return out line
}

function finish_block() {
	if (kind == "src") {
		src_file[name] = FILENAME
		if (mode != "list") {
			f = outdir "/" name ".c"
			printf "%s", text > f
			close(f)
		}
	} else {
		ses_file[name] = FILENAME
		if (cmd !~ /^\$ /)
			problem("the session of " name " does not start with a \"$ \" command line")
		if (mode != "list") {
			f = outdir "/" name ".out"
			printf "%s", text > f
			close(f)
		}
	}
}

BEGIN {
	if (mode != "list" && outdir == "") {
		print "extract-examples.awk: set outdir=DIR (or mode=list)" > "/dev/stderr"
		aborted = 1
		exit 2
	}
	state = "out"
}

FNR == 1 && state != "out" {
	problem("block " name " not closed at the end of the previous file")
	state = "out"
}

# .\" SRC BEGIN (NAME.c)  /  .\" SESSION BEGIN (NAME)
/^\.\\" (SRC|SESSION) BEGIN \(/ {
	if (state != "out") {
		problem("BEGIN inside the block of " name)
		next
	}
	kind = ($0 ~ /SRC/) ? "src" : "session"
	name = $0
	sub(/^[^(]*\(/, "", name)
	sub(/\).*$/, "", name)
	if (kind == "src") {
		if (name !~ /^[A-Za-z0-9_]+\.c$/) {
			problem("program name must be NAME.c with NAME of [A-Za-z0-9_]: " name)
			next
		}
		sub(/\.c$/, "", name)
		if (name in src_file) {
			problem("program " name " is also in " src_file[name])
			next
		}
	} else {
		if (name !~ /^[A-Za-z0-9_]+$/) {
			problem("session name must be of [A-Za-z0-9_]: " name)
			next
		}
		if (name in ses_file) {
			problem("session " name " is also in " ses_file[name])
			next
		}
	}
	state = "before"
	text = ""
	cmd = ""
	nlines = 0
	next
}

/^\.\\" (SRC|SESSION) END/ {
	if (state == "before" || state == "after") {
		if (state == "before")
			problem("no .EX block in " name)
		else
			finish_block()
	} else if (state == "in") {
		problem("END inside the .EX block of " name)
	} else {
		problem("END without BEGIN")
	}
	state = "out"
	next
}

state == "before" && /^\.EX/ { state = "in"; next }
state == "before" { next }		# .in +4n, .P, ...

state == "in" && /^\.EE/ { state = "after"; next }
state == "in" && /^\.\\"/ { next }	# comment
state == "in" && /^[.']/ {
	problem("request inside the example " name ": " $0)
	next
}
state == "in" {
	line = unescape($0)
	if (kind == "session" && nlines == 0)
		cmd = line
	else
		text = text line "\n"
	nlines++
	next
}

state == "after" && /^\.EX/ {
	problem("a second .EX block in " name)
	next
}

END {
	if (aborted)
		exit 2
	if (state != "out")
		problem("block " name " not closed at the end of the file")
	for (n in src_file)
		if (!(n in ses_file)) {
			printf "%s: program %s has no SESSION block\n", src_file[n], n > "/dev/stderr"
			errors++
		}
	for (n in ses_file)
		if (!(n in src_file)) {
			printf "%s: session %s has no SRC block\n", ses_file[n], n > "/dev/stderr"
			errors++
		}
	if (errors)
		exit 1
	if (mode == "list")
		for (n in src_file)
			print n
}
