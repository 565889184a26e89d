#!/bin/bash
# The kernel documentation the series changes parses without new warnings:
# every .rst file that base..HEAD of the work tree touches is run through
# docutils (reStructuredText errors and warnings, report level 2) before
# and after the series; a message the series adds fails.  Sphinx-only roles
# such as :c:func: are errors for plain docutils in both versions and so
# cancel out.  A full "make htmldocs" takes far longer than the test run.
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/lib.sh
. "$SCRIPTS/lib.sh"
md_paths
[ -d "$MD_WT/.git" ] || fail "no work tree at $MD_WT (run scripts/worktree.sh)"
python3 -c 'import docutils' 2>/dev/null || fail "python3-docutils is not installed (scripts/deps.sh)"

# docutils messages of the reStructuredText on stdin, one per line, without
# line numbers so that moved text compares equal.
rst_messages() {
	python3 -c '
import io, re, sys
import docutils.core
err = io.StringIO()
docutils.core.publish_string(sys.stdin.read(), writer_name="null",
	settings_overrides={"report_level": 2, "halt_level": 5,
		"warning_stream": err, "file_insertion_enabled": False,
		"raw_enabled": False})
for line in err.getvalue().splitlines():
	m = re.match(r"^<string>:\d+: \((\w+)/\d\) (.*)$", line)
	if m:
		print(m.group(1), m.group(2))
' | sort
}

mapfile -t files < <(git -C "$MD_WT" diff --name-only base..HEAD -- '*.rst')
[ "${#files[@]}" -gt 0 ] || pass "the series changes no .rst file"
bad=0
for f in "${files[@]}"; do
	before=$(git -C "$MD_WT" show "base:$f" 2>/dev/null | rst_messages || true)
	after=$(git -C "$MD_WT" show "HEAD:$f" | rst_messages)
	new=$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed '/^$/d')
	if [ -n "$new" ]; then
		echo "$f: new docutils messages:"
		printf '    %s\n' "$new"
		bad=1
	else
		echo "$f: no new messages"
	fi
done
[ "$bad" = 0 ] || fail "the series adds reStructuredText warnings (see above)"
pass "${#files[@]} .rst files of the series parse without new warnings"
