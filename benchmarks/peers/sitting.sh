#!/bin/bash
# sitting.sh: one interleaved sitting of the peer engines on GPT-2 small (random weights, 2 threads).
#
#   NT_DIR=. benchmarks/peers/sitting.sh           # full sitting (run it on a quiet machine)
#   SMOKE=1 NT_DIR=. benchmarks/peers/sitting.sh   # a few tokens per run, 1 repetition: proves the commands
#
# Blocks, in this order: b1 (batch 1: PROMPT-token prompt + NEW new tokens, decode tok/s),
# b8 (BATCH sequences decoded together, total decode tok/s), prefill (a PREFILL-token prompt, tok/s);
# peak RSS of every run from /usr/bin/time -v (the table shows the b1 runs'). Inside a block the peers
# run round-robin (A B C .. A B C .., REPS rounds), with the memory-bandwidth triad (triad.c beside this script,
# 2 OpenMP threads) before the first round and after every round, so each run lies between two
# triads. Each run is a fresh process with its own warm-up (llama-batched-bench: a 16-token decode;
# llama-bench: one pass; Jlama: one generation; nexttoken: --warmup NT_WARMUP) and one measured pass.
#
# Peers (PEERS, default all but Jlama): llama-f32 llama-f16 llama-q8_0 (llama-batched-bench for b1/b8,
# llama-bench for prefill); nexttoken-f32 nexttoken-f16 nexttoken-bf16 nexttoken-q8 (bin/nexttoken bench
# --json on HF_MODEL, and on HF_MODEL-f16, -bf16, -q8: the same weights written by `nexttoken convert --dtype X`,
# so each runs from its own file as a user's would); jlama-f32 when a Jlama harness is at JLAMA_DIR
# (not part of this repository). Build them first (see README.md beside this script).
#
# Output: one JSON line per measurement and per triad on stdout (also OUT/results.jsonl), progress on
# stderr, then a markdown table of medians (OUT/table.md). Ratios: tok/s / (bandwidth / bytes read per
# token), bandwidth = mean of the triads before and after the run's round; b8 against 8x that.
# Every run is bounded (RUN_TIMEOUT s); once SITTING_MAX_S have passed, the remaining runs are skipped.
# A full sitting is 42 runs and 12 triads: about 5 minutes on a quiet machine (SMOKE=1: about 1 minute).
# foreign_cpu = CPUs used by other processes during the run (/proc/stat minus the run's own CPU time,
# steal included); a quiet run has < 0.15.
#
# Environment (defaults):
#   PEERS_DIR=/tmp/peers        LLAMA_BIN=$PEERS_DIR/llama.cpp/build/bin   GGUF_DIR=$PEERS_DIR/llama_bench
#   HF_MODEL=$PEERS_DIR/gpt2-random (config.json + model.safetensors + tokenizer files, for Jlama, nexttoken)
#   JLAMA_DIR=$PEERS_DIR/jlama (classes/ + lib/*.jar)   JLAMA_JAVA=Temurin 25's java   JLAMA_XMX=8g
#   NT_DIR (required: the nexttoken checkout, built)   NT_JAVA_HOME (JAVA_HOME for bin/nexttoken)
#   NT_WARMUP=1 NT_REPEAT=1   TRIAD_BIN=$PEERS_DIR/common/triad (built from triad.c beside this script if absent)
#   OUT=$PEERS_DIR/sitting-<UTC time>   REPS=3 THREADS=2 PROMPT=16 NEW=128 BATCH=8 PREFILL=512
#   PEERS="llama-f32 llama-f16 llama-q8_0 nexttoken-f32 nexttoken-f16 nexttoken-bf16 nexttoken-q8"   BLOCKS="b1 b8 prefill"
#   RUN_TIMEOUT=300 (s per run)  SITTING_MAX_S=3600  PYTHON=python3 (standard library only)
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ "${SMOKE:-0}" = 1 ]; then
    : "${REPS:=1}" "${NEW:=4}" "${PREFILL:=32}"
fi
PEERS_DIR=${PEERS_DIR:-/tmp/peers}
LLAMA_BIN=${LLAMA_BIN:-$PEERS_DIR/llama.cpp/build/bin}
GGUF_DIR=${GGUF_DIR:-$PEERS_DIR/llama_bench}
HF_MODEL=${HF_MODEL:-$PEERS_DIR/gpt2-random}
JLAMA_DIR=${JLAMA_DIR:-$PEERS_DIR/jlama}
JLAMA_JAVA=${JLAMA_JAVA:-$(ls -d /usr/lib/jvm/temurin-25*/bin/java 2>/dev/null | head -1)}
JLAMA_XMX=${JLAMA_XMX:-8g}
NT_DIR=${NT_DIR:?set NT_DIR to the built nexttoken checkout}
NT_WARMUP=${NT_WARMUP:-1}; NT_REPEAT=${NT_REPEAT:-1}
TRIAD_SRC=${TRIAD_SRC:-$HERE/triad.c}
TRIAD_BIN=${TRIAD_BIN:-$PEERS_DIR/common/triad}
OUT=${OUT:-$PEERS_DIR/sitting-$(date -u +%Y%m%dT%H%M%SZ)}
REPS=${REPS:-3}; THREADS=${THREADS:-2}
PROMPT=${PROMPT:-16}; NEW=${NEW:-128}; BATCH=${BATCH:-8}; PREFILL=${PREFILL:-512}
PEERS=${PEERS:-llama-f32 llama-f16 llama-q8_0 nexttoken-f32 nexttoken-f16 nexttoken-bf16 nexttoken-q8}
BLOCKS=${BLOCKS:-b1 b8 prefill}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}; SITTING_MAX_S=${SITTING_MAX_S:-3600}
PYTHON=${PYTHON:-python3}

if [ "$NEW" -lt 2 ]; then echo "sitting.sh: NEW must be >= 2 (nexttoken bench)" >&2; exit 2; fi
mkdir -p "$OUT/logs" || exit 2
RESULTS=$OUT/results.jsonl
PARSER=$OUT/parse.py
START=$(date +%s)
log() { echo "# $(date -u +%H:%M:%S) $*" >&2; }

# ---------------------------------------------------------------- parser (standard library only)
cat > "$PARSER" <<'PYEOF'
import json, os, re, statistics as st, sys

BYTES = {'llama-f32': 497e6, 'llama-f16': 249e6, 'llama-q8_0': 132e6, 'jlama-f32': 497e6,
         'nexttoken-f32': 497e6, 'nexttoken-f16': 249e6, 'nexttoken-bf16': 249e6, 'nexttoken-q8': 132e6}

def rd(p):
    try: return open(p, errors='replace').read()
    except OSError: return ''

def metric(block, peer, txt):
    """tok/s and extras from a run's log; (None, {error}) when absent."""
    ex = {}
    try:
        if peer.startswith('llama-') and block in ('b1', 'b8'):
            r = json.loads([l for l in txt.splitlines() if l.startswith('{"n_kv_max"')][-1])
            ex = {'prompt_tok_s': r['speed_pp'], 't_decode_s': r['t_tg'], 'n_seq': r['pl'], 'new_tokens': r['tg']}
            return r['speed_tg'], ex
        if peer.startswith('llama-'):
            r = json.loads([l for l in txt.splitlines() if l.startswith('{') and '"avg_ts"' in l][-1])
            return r['avg_ts'], {'samples_ns': r['samples_ns'], 'n_prompt': r['n_prompt']}
        if peer.startswith('jlama'):
            m = re.search(r'RESULT .*', txt).group(0)
            ex['load_s'] = float(re.search(r'load_s=([0-9.]+)', m).group(1))
            if block == 'b1':
                return json.loads(re.search(r'tok_per_s=(\[.*?\])', m).group(1))[-1], ex
            ms = json.loads(re.search(r'prefill_ms=(\[.*?\])', m).group(1))[-1]
            n = int(re.findall(r'rep 0: promptTokens=(\d+)', txt)[-1])
            ex.update(prefill_ms=ms, n_prompt=n)
            return n / (ms / 1000.0), ex
        if peer.startswith('nexttoken-'):
            r = json.loads([l for l in txt.splitlines() if l.startswith('{"model"')][-1])
            ex = {k: r.get(k) for k in ('load_s', 'startup_s', 'peak_rss_mb', 'decode_ms_per_step', 'compute_path', 'kernel')}
            return (r['prefill_tokens_per_s'] if block == 'prefill' else r['decode_tokens_per_s']), ex
    except Exception as e:
        return None, {'error': f'{type(e).__name__}: {e}'}
    return None, {'error': 'unknown peer'}

def line(a):
    block, rep, peer, logf, rc, t0, t1, b1, b2, s1, s2, hz, bwb, bwa = a
    hz = float(hz); wall = float(t1) - float(t0)
    tv = rd(logf + '.time')
    g = lambda pat: (re.search(pat, tv) or [None, None])[1]
    own = sum(float(g(p) or 0) for p in (r'User time \(seconds\): ([0-9.]+)', r'System time \(seconds\): ([0-9.]+)'))
    rss = g(r'Maximum resident set size \(kbytes\): (\d+)')
    tok, ex = metric(block, peer, rd(logf))
    bw = [float(x) for x in (bwb, bwa) if x not in ('', 'null')]
    d = {'kind': 'run', 'block': block, 'rep': int(rep), 'peer': peer, 'ok': int(rc) == 0 and tok is not None,
         'rc': int(rc), 'tok_s': tok, 'rss_mib': round(int(rss) / 1024, 1) if rss else None,
         'wall_s': round(wall, 2), 'own_cpu_s': round(own, 2),
         'foreign_cpu': round(((int(b2) - int(b1)) / hz - own) / wall, 3) if wall > 0 else None,
         'steal_cpu': round((int(s2) - int(s1)) / hz / wall, 3) if wall > 0 else None,
         'bw_before_gbs': bw[0] if len(bw) > 0 else None, 'bw_after_gbs': bw[1] if len(bw) > 1 else None}
    if tok is not None and bw and block in ('b1', 'b8'):
        ceil = st.mean(bw) * 1e9 / BYTES[peer] * (1 if block == 'b1' else int(ex.get('n_seq') or os.environ['SITTING_BATCH']))
        d['ceiling_tok_s'] = round(ceil, 1); d['ratio_ceiling'] = round(tok / ceil, 3)
    d.update(ex); d['log'] = logf
    print(json.dumps(d))

def table(results, peers):
    rows = [json.loads(l) for l in open(results) if l.strip()]
    runs = [r for r in rows if r.get('kind') == 'run']
    tri = [r['gbs'] for r in rows if r.get('kind') == 'triad' and r.get('gbs')]
    def med(xs, d=1):
        xs = [x for x in xs if x is not None]
        if not xs: return 'n/a'
        return f"{st.median(xs):.{d}f} ({min(xs):.{d}f}–{max(xs):.{d}f})" if len(xs) > 1 else f"{xs[0]:.{d}f}"
    print('| peer | GB read/token | b1 decode tok/s | b1 / ceiling | b8 total tok/s | b8 / (8x ceiling) '
          '| prefill tok/s | peak RSS MiB (b1) | runs ok | quiet runs (foreign CPU < 0.15) | max foreign CPU |')
    print('|---|---|---|---|---|---|---|---|---|---|---|')
    for p in peers.split():
        R = lambda b, k: [r.get(k) for r in runs if r['peer'] == p and r['block'] == b and r['ok']]
        mine = [r for r in runs if r['peer'] == p and 'rep' in r]
        unsup = any(r.get('supported') is False for r in runs if r['peer'] == p and r['block'] == 'b8')
        if any(r.get('missing') for r in runs if r['peer'] == p) and not mine:
            print(f"| {p} | {BYTES.get(p, 0) / 1e9:.3f} | not built | | | | | | 0/0 | | |"); continue
        fc = [r['foreign_cpu'] for r in mine if r.get('foreign_cpu') is not None]
        print(f"| {p} | {BYTES.get(p, 0) / 1e9:.3f} | {med(R('b1', 'tok_s'))} | {med(R('b1', 'ratio_ceiling'), 2)} "
              f"| {'not supported' if unsup else med(R('b8', 'tok_s'))} | {'–' if unsup else med(R('b8', 'ratio_ceiling'), 2)} "
              f"| {med(R('prefill', 'tok_s'))} | {med(R('b1', 'rss_mib'), 0)} "
              f"| {sum(r['ok'] for r in mine)}/{len(mine)} | {sum(f < 0.15 for f in fc)}/{len(mine)} "
              f"| {max(fc) if fc else 'n/a'} |")
    if tri: print(f"\nTriad (2 threads) over the sitting: median {st.median(tri):.1f} GB/s, min {min(tri):.1f}, "
                  f"max {max(tri):.1f} (n={len(tri)}). Medians (min–max) of the runs that succeeded.")

if __name__ == '__main__':
    if sys.argv[1] == 'line': line(sys.argv[2:])
    else: table(sys.argv[2], sys.argv[3])
PYEOF

# ---------------------------------------------------------------- helpers
cpustat() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $9}' /proc/stat; }   # busy jiffies, steal jiffies
HZ=$(getconf CLK_TCK)
emit() { echo "$1"; echo "$1" >> "$RESULTS"; }
jstr() { "$PYTHON" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

if [ ! -x "$TRIAD_BIN" ]; then
    mkdir -p "$(dirname "$TRIAD_BIN")"
    gcc -O3 -march=native -fopenmp "$TRIAD_SRC" -o "$TRIAD_BIN" || { echo "sitting.sh: cannot build $TRIAD_BIN" >&2; exit 2; }
fi
BW=""
triad() {  # block seq
    local v; v=$(OMP_NUM_THREADS=2 timeout -k 5 120 "$TRIAD_BIN" 2>/dev/null | tail -1)
    case "$v" in ''|*[!0-9.]*) v="" ;; esac
    BW=$v
    emit "{\"kind\":\"triad\",\"block\":\"$1\",\"after_round\":$2,\"gbs\":${v:-null},\"time\":\"$(date -u +%H:%M:%S)\"}"
    log "triad $1 after round $2: ${v:-failed} GB/s"
}

JCP=""
if [ -d "$JLAMA_DIR/lib" ]; then JCP="$JLAMA_DIR/classes:$(ls "$JLAMA_DIR"/lib/*.jar 2>/dev/null | tr '\n' ':')"; fi

# Sets CMD (array) for block $1, peer $2; returns 1 when the peer cannot do the block, 2 when it is missing.
build_cmd() {
    local block=$1 peer=$2 q m
    case $peer in
        llama-f32|llama-f16|llama-q8_0)
            q=${peer#llama-}; m=$GGUF_DIR/gpt2-random-$q.gguf
            [ -f "$m" ] && [ -x "$LLAMA_BIN/llama-bench" ] || return 2
            case $block in
                b1) CMD=("$LLAMA_BIN/llama-batched-bench" -m "$m" -c $((PROMPT + NEW > 1024 ? PROMPT + NEW : 1024)) -t "$THREADS"
                         -npp "$PROMPT" -ntg "$NEW" -npl 1 --output-format jsonl) ;;
                b8) CMD=("$LLAMA_BIN/llama-batched-bench" -m "$m" -c $((BATCH * (PROMPT + NEW))) -t "$THREADS"
                         -npp "$PROMPT" -ntg "$NEW" -npl "$BATCH" --output-format jsonl) ;;
                prefill) CMD=("$LLAMA_BIN/llama-bench" -m "$m" -t "$THREADS" -p "$PREFILL" -n 0 -r 1 -o jsonl) ;;
            esac ;;
        jlama-f32)
            [ -n "$JCP" ] && [ -x "$JLAMA_JAVA" ] || return 2
            local j=("$JLAMA_JAVA" --add-modules jdk.incubator.vector --enable-preview --enable-native-access=ALL-UNNAMED
                     "-Xmx$JLAMA_XMX" -cp "$JCP" peers.JlamaBench "$HF_MODEL")
            case $block in
                b1) CMD=("${j[@]}" gen "$PROMPT" "$NEW" 1 "$THREADS") ;;
                b8) return 1 ;;
                prefill) CMD=("${j[@]}" prefill "$PREFILL" 0 1 "$THREADS") ;;
            esac ;;
        nexttoken-f32|nexttoken-f16|nexttoken-bf16|nexttoken-q8)
            m=$HF_MODEL; q=${peer#nexttoken-}
            [ "$q" = f32 ] || m=$HF_MODEL-$q
            [ -x "$NT_DIR/bin/nexttoken" ] && [ -f "$NT_DIR/examples/target/nexttoken-examples.jar" ] && [ -d "$m" ] || return 2
            local n=(env ${NT_JAVA_HOME:+JAVA_HOME=$NT_JAVA_HOME} "$NT_DIR/bin/nexttoken" bench --model "$m" --json
                     --warmup "$NT_WARMUP" --repeat "$NT_REPEAT")
            case $block in
                b1) CMD=("${n[@]}" --batch 1 --prompt-tokens "$PROMPT" --new-tokens "$NEW") ;;
                b8) CMD=("${n[@]}" --batch "$BATCH" --prompt-tokens "$PROMPT" --new-tokens "$NEW") ;;
                prefill) CMD=("${n[@]}" --batch 1 --prompt-tokens "$PREFILL" --new-tokens 2) ;;
            esac ;;
        *) return 2 ;;
    esac
    return 0
}

# ---------------------------------------------------------------- header
avx512=$(grep -c -m1 avx512f /proc/cpuinfo)
march=$(gcc -march=native -Q --help=target 2>/dev/null | awk '$1=="-march="{print $2}')
llama_commit=$(git -C "$PEERS_DIR/llama.cpp" rev-parse --short HEAD 2>/dev/null)
sysinfo=""
if [ -x "$LLAMA_BIN/llama-cli" ] && [ -f "$GGUF_DIR/gpt2-random-q8_0.gguf" ]; then
    sysinfo=$(timeout 60 "$LLAMA_BIN/llama-cli" -m "$GGUF_DIR/gpt2-random-q8_0.gguf" -t "$THREADS" -p hi -n 1 -no-cnv \
              --no-warmup 2>&1 </dev/null | grep -a -m1 -o 'CPU : .*' | sed 's/ *| *$//')
fi
warn=""
if [ "$avx512" = 1 ] && [ -n "$sysinfo" ] && ! echo "$sysinfo" | grep -q 'AVX512 = 1'; then
    warn="this CPU has AVX-512 but llama.cpp was built without it: rebuild llama.cpp on this machine (GGML_NATIVE=ON)"
    log "WARNING: $warn"
fi
load1=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load1" 'BEGIN{exit !(l >= 0.5)}'; then
    warn="${warn:+$warn; }load average $load1 at the start: the machine is not quiet"; log "WARNING: load average $load1"
fi
jlama_ver=$(ls "$JLAMA_DIR"/lib/jlama-core-*.jar 2>/dev/null | sed 's/.*jlama-core-//; s/\.jar$//')
nt_commit=$(git -C "$NT_DIR" rev-parse --short HEAD 2>/dev/null)
nt_java=$( (env ${NT_JAVA_HOME:+JAVA_HOME=$NT_JAVA_HOME} bash -c '"${JAVA_HOME:+$JAVA_HOME/bin/}java" -version' 2>&1) | grep -m1 version)
j_java=$("$JLAMA_JAVA" -version 2>&1 | grep -m1 version)
emit "{\"kind\":\"env\",\"utc\":\"$(date -u +%FT%TZ)\",\"cpu\":$(jstr "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"),\
\"nproc\":$(nproc),\"avx512f\":$avx512,\"gcc_march_native\":\"$march\",\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\
\"llama_cpp\":\"$llama_commit\",\"llama_system_info\":$(jstr "$sysinfo"),\"jlama\":\"$jlama_ver\",\"jlama_java\":$(jstr "$j_java"),\
\"nexttoken\":\"$nt_commit\",\"nexttoken_java\":$(jstr "$nt_java"),\"reps\":$REPS,\"threads\":$THREADS,\"prompt\":$PROMPT,\
\"new\":$NEW,\"batch\":$BATCH,\"prefill\":$PREFILL,\"peers\":\"$PEERS\",\"blocks\":\"$BLOCKS\",\"out\":\"$OUT\",\
\"warning\":$(jstr "$warn")}"

# ---------------------------------------------------------------- the sitting
for block in $BLOCKS; do
    for peer in $PEERS; do   # peers that cannot do this block, or are not built: one line, no runs
        build_cmd "$block" "$peer"; r=$?
        if [ $r = 1 ]; then emit "{\"kind\":\"run\",\"block\":\"$block\",\"peer\":\"$peer\",\"ok\":false,\"supported\":false}"; fi
        if [ $r = 2 ]; then emit "{\"kind\":\"run\",\"block\":\"$block\",\"peer\":\"$peer\",\"ok\":false,\"missing\":true}"
                            log "$peer: not found (see the paths at the top of $0)"; fi
    done
    triad "$block" 0
    for rep in $(seq 1 "$REPS"); do
        if [ $(( $(date +%s) - START )) -ge "$SITTING_MAX_S" ]; then
            log "SITTING_MAX_S=$SITTING_MAX_S reached: the rest of the sitting skipped"; break 2
        fi
        pending=()
        for peer in $PEERS; do
            build_cmd "$block" "$peer" || continue
            if [ $(( $(date +%s) - START )) -ge "$SITTING_MAX_S" ]; then
                log "SITTING_MAX_S=$SITTING_MAX_S reached: $block rep $rep $peer skipped"; continue
            fi
            lf="$OUT/logs/$block.$peer.rep$rep.log"
            read -r b1 s1 < <(cpustat); t0=$(date +%s.%N)
            /usr/bin/time -v -o "$lf.time" timeout -k 10 "$RUN_TIMEOUT" "${CMD[@]}" > "$lf" 2>&1 </dev/null; rc=$?
            t1=$(date +%s.%N); read -r b2 s2 < <(cpustat)
            log "$block rep $rep $peer: rc=$rc wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
            pending+=("$block|$rep|$peer|$lf|$rc|$t0|$t1|$b1|$b2|$s1|$s2")
        done
        bwb=$BW; triad "$block" "$rep"
        for p in ${pending[@]+"${pending[@]}"}; do
            IFS='|' read -r -a f <<< "$p"
            l=$(SITTING_BATCH=$BATCH "$PYTHON" "$PARSER" line "${f[@]}" "$HZ" "${bwb:-null}" "${BW:-null}") && emit "$l"
        done
    done
done

"$PYTHON" "$PARSER" table "$RESULTS" "$PEERS" | tee "$OUT/table.md"
log "done in $(( $(date +%s) - START )) s; results in $OUT"
