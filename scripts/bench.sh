#!/bin/bash
# Usage: scripts/bench.sh [--rounds N] [--seconds S] [--fault-mib M]
#                         [--kernel FILE] [--base-kernel FILE]
#                         [--run-dir DIR] [--no-doc] [--smoke]
#                         [--only REGEX] [--patched-only]
#                         [--clock icount|wall]
#
# What the series costs everybody, and what MAP_DIRECT costs its users:
# boots the base kernel (Linux 6.12.117 without the series, built by
# scripts/base-kernel.sh with the test kernel's configuration) and the
# patched test kernel in turn under QEMU (same machine, same NVDIMMs, DAX
# XFS and DAX ext4), base then patched in every round, and runs
# bench/md_bench.c in each: mmap/munmap (anonymous, tmpfs, DAX), mmap3
# against mmap(2), first-touch write faults with MAP_SHARED, MAP_SYNC,
# MAP_DIRECT and MAP_DIRECT|MAP_SYNC (also 2 MiB aligned), writes past EOF,
# ftruncate, fallocate, 4 KiB writes, hole punching in a mapped file, the
# MAP_DIRECT seal/unseal pair, and what long-term pins of MAP_DIRECT buy:
# io_uring READ_FIXED and RDMA WRITE (Soft-RoCE) straight into the file
# against anonymous memory + pwrite.
# bench/report.py turns the figures into ratios of times per operation,
# each the median of the rounds with min and max.
#
# Results: <run-dir>/table.md, ratios.png (gnuplot), results.tsv, one
# folder per boot; Documentation/performance.md is regenerated below its
# hand-written part (not with --smoke or --no-doc).  Under TCG absolute
# times mean little: only the ratios, measured side by side, count.
#
# By default the guest's clock counts instructions (QEMU -icount
# shift=0,sleep=on: every guest instruction takes 1 ns of guest time) and
# the guest has one vCPU, so that a figure is the number of instructions an
# operation executes and neither host load nor the emulator's speed enters
# it: a ratio is a ratio of instructions, repeatable to about 1 % between
# boots (to a few per mille for most workloads).  What an instruction count
# leaves out (caches, memory stalls, contention between CPUs) TCG does not
# model anyway.  --clock wall boots 2 vCPUs whose clock follows the host's:
# the N-thread figures, with the host's noise in them.
#
#   --rounds N        base/patched pairs of boots (default 5)
#   --seconds S       seconds per workload and thread count (default 1)
#   --fault-mib M     size of the 4 KiB fault workloads' file (default 256;
#                     the 2 MiB ones use at most 128)
#   --kernel FILE     the patched kernel (default: the test kernel, built
#                     with scripts/worktree.sh, config.sh and build.sh)
#   --base-kernel FILE  the base kernel (default: scripts/base-kernel.sh)
#   --run-dir DIR     where the results go (default build/bench/<date>-<pid>)
#   --no-doc          do not regenerate Documentation/performance.md
#   --only REGEX      only the workloads whose names match REGEX (grep -E;
#                     "md_bench -l" lists them), e.g. '^pin_' for what
#                     long-term pins buy; implies --no-doc
#   --patched-only    boot only the patched kernel (the within-kernel
#                     ratios: mmap3/mmap, MAP_DIRECT faults, seal pair,
#                     pins); implies --no-doc
#   --smoke           one short round on the kernels already built (the
#                     base only if it is), only checking that every
#                     workload produced a number, and that the table and
#                     the plot come out of them (tests/host/check-bench-smoke.sh)
#   --clock MODE      icount (default): guest time counts instructions, one
#                     vCPU, TCG only; wall: guest time is host time, two
#                     vCPUs, 1 and 2 threads (noisy under TCG)
#
# A full run (5 rounds) takes about 20 minutes once both kernels are built;
# building the base kernel the first time takes 20-25 more.

# One compound command, read whole before it runs: editing this file while
# a run is under way (it takes half an hour) cannot change the run.
{
MD_STEP=bench
. "$(dirname "$0")/lib.sh"

rounds=5 secs=1 fault_mib=256 patched='' base_k='' run_dir='' doc=1 smoke=0
only='' no_base=0 clock=icount
while [ "$#" -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--rounds) rounds=$2; shift 2 ;;
	--seconds) secs=$2; shift 2 ;;
	--fault-mib) fault_mib=$2; shift 2 ;;
	--kernel) patched=$2; shift 2 ;;
	--base-kernel) base_k=$2; shift 2 ;;
	--run-dir) run_dir=$2; shift 2 ;;
	--no-doc) doc=0; shift ;;
	--smoke) smoke=1; doc=0; shift ;;
	--only) only=$2; doc=0; shift 2 ;;
	--patched-only) no_base=1; doc=0; shift ;;
	--clock) clock=$2; shift 2 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done
case "$clock" in
icount)
	# Instruction-counted guest time needs TCG (-icount is not a KVM option).
	# sleep=off stalled the guest after its setup (QEMU 7.2); with sleep=on
	# only idle time follows the host's clock, and a timed loop never idles.
	# One vCPU: two would run in turn (icount has no parallel TCG) and
	# make the order of their instructions, and the figures, vary.
	export MD_ACCEL=tcg MD_QEMU_ARGS="-icount shift=0,sleep=on"
	cpus=1
	;;
wall)
	unset MD_QEMU_ARGS
	cpus=2
	;;
*) usage >&2; die "--clock must be icount or wall, not '$clock'" ;;
esac
md_paths
md_base_paths
need_cmd gcc python3
[ -n "$run_dir" ] || run_dir=$BUILD_DIR/bench/$(date +%Y%m%d-%H%M%S)-$$
# Figures of an earlier run in the same folder would be averaged in.
if compgen -G "$run_dir/[0-9]*-*" >/dev/null; then
	die "$run_dir holds the boots of an earlier run: give a new --run-dir"
fi
mkdir -p "$run_dir"
run_dir=$(realpath "$run_dir")
t_all=$(date +%s)

if [ "$smoke" = 1 ]; then
	rounds=1 secs=0.05 fault_mib=4
	[ -n "$patched" ] || patched=$MD_OBJ/arch/x86/boot/bzImage
	[ -f "$patched" ] || die "no patched kernel at $patched: run scripts/build.sh first"
	if [ -z "$base_k" ] && [ -f "$MD_BASE_OBJ/arch/x86/boot/bzImage" ]; then
		base_k=$MD_BASE_OBJ/arch/x86/boot/bzImage
	fi
	[ -n "$base_k" ] || log "no base kernel built (scripts/base-kernel.sh): the smoke run uses the patched kernel only"
else
	if [ -z "$patched" ]; then
		"$MD_SCRIPTS/deps.sh"
		"$MD_SCRIPTS/base.sh"
		"$MD_SCRIPTS/worktree.sh"
		"$MD_SCRIPTS/config.sh"
		"$MD_SCRIPTS/build.sh"
		patched=$MD_OBJ/arch/x86/boot/bzImage
	fi
	if [ -z "$base_k" ] && [ "$no_base" = 0 ]; then
		base_k=$("$MD_SCRIPTS/base-kernel.sh" | tail -n 1) || die "scripts/base-kernel.sh failed"
	fi
fi
need_cmd gnuplot
[ -f "$patched" ] || die "no patched kernel at $patched"
[ -z "$base_k" ] || [ -f "$base_k" ] || die "no base kernel at $base_k"

# The program, against the patched uapi headers (its fallbacks cover the
# base): built once, run by both kernels.
prog=$run_dir/md_bench
run_logged "$MD_LOGS/bench-build.log" "md_bench" \
	gcc -Wall -Wextra -Wno-unused-parameter -Werror -O2 -pthread -isystem "$MD_OBJ/usr/include" \
	"$MD_REPO/bench/md_bench.c" -o "$prog" -luring -libverbs

# The workloads: all, or those --only names.
names=()
if [ -n "$only" ]; then
	mapfile -t names < <("$prog" -l | cut -d' ' -f1 | grep -E -- "$only" || true)
	[ "${#names[@]}" -gt 0 ] || die "--only '$only' matches no workload (md_bench -l lists them)"
	log "workloads: ${names[*]}"
fi

# A boot may take: five minutes to boot and make the files, and each run
# (a workload in 1 or N threads) at most 20 times its guest seconds (the
# emulator runs an instruction-counted guest 2-4 times slower than real
# time, more on a busy host).
nruns=$("$prog" -l | awk -v sel="${names[*]-}" '
	BEGIN { n = split(sel, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
	n == 0 || ($1 in want) { c += /N threads/ ? 2 : 1 }
	END { print c + 0 }')
boot_limit=$(awk -v n="$nruns" -v s="$secs" 'BEGIN { printf "%d", 300 + n * s * 20 + 0.5 }')

[ "$no_base" = 0 ] || base_k=''
kernels=()
[ -z "$base_k" ] || kernels+=(base)
kernels+=(patched)
declare -A kfile=([base]=$base_k [patched]=$patched)
accel=unknown
for ((r = 1; r <= rounds; r++)); do
	for k in "${kernels[@]}"; do
		dir=$run_dir/$r-$k
		log "round $r/$rounds: $k kernel"
		rc=0
		"$MD_SCRIPTS/boot.sh" --kernel "${kfile[$k]}" --run-dir "$dir" --cpus "$cpus" \
			--timeout "$boot_limit" -- "$MD_SCRIPTS/guest-bench.sh" "$prog" \
			-d "$secs" -f "$fault_mib" ${names[@]+"${names[@]}"} >"$dir.log" 2>&1 || rc=$?
		[ "$rc" -eq 0 ] || { cat "$dir.log" >&2; die "round $r, $k kernel: the guest failed (exit $rc), see $dir"; }
		accel=$(sed -n 's/.*booting bzImage (\([a-z]*\),.*/\1/p' "$dir.log" | head -n 1)
		if grep -qE 'BUG:|WARNING:|Call Trace|KASAN:|Oops' "$dir/dmesg.txt" 2>/dev/null; then
			die "round $r, $k kernel: kernel splat in $dir/dmesg.txt"
		fi
	done
done

# The smoke run goes on to the table and the plot (of its one short round,
# into the run folder only), so that those cannot rot either.
[ "$smoke" = 0 ] || python3 "$MD_REPO/bench/report.py" "$run_dir" --smoke ||
	die "some workload produced no number (above)"

header=$run_dir/header.md
unit=ns unit_text=times
if [ "$clock" = icount ]; then
	unit=instructions unit_text="times (here: instructions)"
	clock_text="instructions (\`-icount shift=0,sleep=on\`: 1 ns each, figures are instruction counts)"
else
	clock_text="the host's (figures include host noise)"
fi
# The default clock's figures go below the hand-written part of
# performance.md, the wall clock's (with 2 threads) to a page of their own.
doc_name=performance
[ "$clock" = icount ] || doc_name=performance-$clock
doc_file=$MD_REPO/Documentation/$doc_name.md
marker='<!-- scripts/bench.sh regenerates everything below this line -->'
{
	if [ -f "$doc_file" ] && grep -qxF "$marker" "$doc_file"; then
		awk -v m="$marker" '{ print } $0 == m { exit }' "$doc_file"
	else
		echo "# Performance: the figures of \`scripts/bench.sh --clock $clock\`"
		echo
		echo "How they are measured, the goals and what the figures mean:"
		echo "[performance.md](performance.md)."
		echo
		echo "$marker"
	fi
	echo
	echo "Measured $(date -u +%Y-%m-%d) by \`scripts/bench.sh --rounds $rounds --seconds $secs --fault-mib $fault_mib --clock $clock\`"
	echo "on $(nproc) host CPUs; QEMU accelerator: $accel; guest clock: $clock_text;"
	echo "guest: $cpus vCPU(s), 4 GiB,"
	echo "two 1 GiB NVDIMMs (DAX XFS with reflink and rmapbt, DAX ext4)."
	echo "Kernels: base = Linux 6.12.$BASE_SUBLEVEL without the series, patched = with"
	echo "it; both built with the test kernel's configuration"
	echo "(\`Kconfig.snippets\` fragment \`test\`, scripts/config.sh)."
	echo "Ratios are ${unit_text} per operation (below 1: fewer, faster), per round between"
	echo "figures measured side by side, median of $rounds rounds with min and max."
	echo
	echo "![ratios]($doc_name.png)"
	echo
} >"$header"
report_args=("$run_dir" --unit "$unit")
[ -z "$only" ] && [ "$no_base" = 0 ] && [ -n "$base_k" ] || report_args+=(--measured-only)
[ "$doc" = 0 ] || report_args+=(--doc "$doc_file" --header "$header")
python3 "$MD_REPO/bench/report.py" "${report_args[@]}" | tee "$run_dir/report.txt"

# The plot: median ratio per workload with its min-max bar, goal marks.
cat >"$run_dir/ratios.gp" <<EOF
set terminal pngcairo size 1200,800 noenhanced
set output '$run_dir/ratios.png'
set title 'MAP_DIRECT series: ratios of $unit per operation (median, min-max of $rounds rounds, --clock $clock)'
set xtics rotate by 60 right font ',8'
set ylabel 'ratio of $unit per operation (1 = same)'
set grid ytics
set key top left
set bmargin 16
set offsets 0.5, 0.5, 0, 0
plot '$run_dir/ratios.dat' using 1:3:4:5:xticlabels(2) with yerrorbars pt 7 title 'measured', \\
     '' using 1:6 with points pt 2 ps 1.5 title 'goal', 1 with lines lt 0 notitle
EOF
gnuplot "$run_dir/ratios.gp" 2>"$run_dir/gnuplot.log" || die "gnuplot failed: $run_dir/gnuplot.log"
[ "$doc" = 0 ] || cp "$run_dir/ratios.png" "$MD_REPO/Documentation/$doc_name.png"
log "table: $run_dir/table.md, plot: $run_dir/ratios.png (took $(fmt_secs $(($(date +%s) - t_all))))"
exit
}
