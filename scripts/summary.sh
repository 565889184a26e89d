#!/bin/bash
# Usage: scripts/summary.sh [--strict-skips] [RUN_DIR]
#
# Prints one line per test of a run (PASS, FAIL or SKIP with its reason),
# read from RUN_DIR/tap.txt (the guest's kselftest TAP; default:
# build/runs/latest), RUN_DIR/debug/tap.txt (the debug-kernel pass, names
# prefixed "debug: ") and RUN_DIR/host.tap (host checks), if present, then
# the closing line "N passed, N failed, N skipped".
#
# A test program that crashed or timed out counts as failed, and so do the
# tests it announced but never reported.  Kernel splats (RUN_DIR/splats.txt)
# count as one failure.  With --strict-skips (the test command), every skip
# fails the run unless tests/allowed-skips lists it: in QEMU every DAX test
# must run.
#
# Exit status: 0 when nothing failed (and, with --strict-skips, nothing was
# skipped that is not allowed), 1 otherwise.

MD_STEP=summary
. "$(dirname "$0")/lib.sh"

strict=0 run_dir=$BUILD_DIR/runs/latest
while [ "$#" -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--strict-skips) strict=1; shift ;;
	-*) usage >&2; die "unknown argument: $1" ;;
	*) run_dir=$1; shift ;;
	esac
done
[ -d "$run_dir" ] || die "no run folder $run_dir"
allowed=$MD_REPO/tests/allowed-skips

# The results of one TAP file; $2 prefixes every test name.
parse_tap() {
	awk -v pfx="$2" '
	function emit(res, name, why) {
		printf "%s\t%s%s\t%s\n", res, pfx, name, why
	}
	# Split a TAP result line ("[not ]ok N name[ # DIRECTIVE]", or
	# kselftest.h-style "ok N # SKIP name") into res, name and why.
	function parse_result(line) {
		res = (line ~ /^not ok/) ? "FAIL" : "PASS"
		sub(/^(not )?ok [0-9]+ */, "", line)
		why = ""
		if (line ~ /^# /) {
			why = substr(line, 3)
			line = why
			sub(/^[A-Z]+ */, "", line)
		} else if (match(line, / # /)) {
			why = substr(line, RSTART + 3)
			line = substr(line, 1, RSTART - 1)
		}
		if (why ~ /^SKIP/) res = "SKIP"
		else if (why ~ /^XFAIL/) res = "PASS"
		name = line
	}
	function close_prog(top, directive,    missing, i) {
		if (prog == "") return
		missing = plan - leaves
		for (i = 0; i < missing; i++)
			emit("FAIL", prog ": test " (leaves + i + 1) " of " plan, "never reported (crash or timeout)")
		if (top == "not ok" && leaf_fail == 0 && missing <= 0)
			emit("FAIL", prog, directive == "" ? "failed" : directive)
		else if (top == "ok" && leaves == 0 && directive ~ /^SKIP/)
			emit("SKIP", prog, directive)
		else if (top == "ok" && leaves == 0)
			emit("PASS", prog, "")
		prog = ""
	}
	/^# selftests: / {
		prog = substr($0, 14)
		sub(/: /, "/", prog)
		plan = 0; leaves = 0; leaf_fail = 0
		next
	}
	prog != "" && /^# 1\.\.[0-9]+/ { plan = substr($2, 4) + 0; next }
	prog != "" && /^# (not )?ok [0-9]+/ {
		parse_result(substr($0, 3))
		emit(res, prog ": " name, why)
		leaves++
		if (res == "FAIL") leaf_fail++
		next
	}
	/^(not )?ok [0-9]+ selftests: / {
		top = ($1 == "not") ? "not ok" : "ok"
		d = ""
		if (match($0, / # /)) d = substr($0, RSTART + 3)
		close_prog(top, d)
		next
	}
	/^(not )?ok [0-9]+ host: / {
		parse_result($0)
		emit(res, name, why)
	}
	END { if (prog != "") close_prog("not ok", "no final result (runner killed?)") }
	' "$1"
}

# The run's results: guest TAP, the debug-kernel pass (if any), host checks;
# splats of each guest kernel log count as one failure.
results=$(
	for part in "$run_dir/tap.txt:" "$run_dir/debug/tap.txt:debug: " "$run_dir/host.tap:"; do
		f=${part%%:*}
		if [ -f "$f" ]; then
			parse_tap "$f" "${part#*:}"
		fi
	done
	for s in "$run_dir/splats.txt:kernel log" "$run_dir/debug/splats.txt:debug: kernel log"; do
		f=${s%%:*}
		if [ -s "$f" ]; then
			printf 'FAIL\t%s\t%s splat lines, see %s\n' "${s#*:}" "$(wc -l <"$f")" "$f"
		fi
	done
)

pass=0 fail=0 skip=0 bad_skip=0
while IFS=$'\t' read -r res name why; do
	[ -n "$res" ] || continue
	case "$res" in
	PASS) pass=$((pass + 1)); printf 'PASS  %s\n' "$name" ;;
	FAIL) fail=$((fail + 1)); printf 'FAIL  %s%s\n' "$name" "${why:+  ($why)}" ;;
	SKIP)
		skip=$((skip + 1))
		note=
		if [ "$strict" = 1 ]; then
			if [ -f "$allowed" ] && grep -v '^#' "$allowed" | cut -f1 | grep -qxF "$name"; then
				note="  [allowed: tests/allowed-skips]"
			else
				bad_skip=$((bad_skip + 1))
				note="  [not allowed under QEMU]"
			fi
		fi
		printf 'SKIP  %s  (%s)%s\n' "$name" "$why" "$note"
		;;
	esac
done <<<"$results"

echo
[ "$((pass + fail + skip))" -gt 0 ] || { fail=1; echo "no test results found in $run_dir"; }
printf '%d passed, %d failed, %d skipped\n' "$pass" "$fail" "$skip"
[ "$fail" -eq 0 ] || exit 1
if [ "$bad_skip" -gt 0 ]; then
	echo "$bad_skip skipped tests are not allowed to skip under QEMU (see above)" >&2
	exit 1
fi
exit 0
