#!/usr/bin/env bash
# Prepares the training corpus of nexttoken's embedded default model: English fortune-cookie
# texts from Debian's "fortunes" and "fortunes-min" packages (BSD licence; see LICENSE.md).
#
#   corpus/prepare.sh            writes corpus/data/fortunes.txt (and keeps the .deb files in
#                                corpus/data/download/, so a second run needs no network)
#
# What it does:
#   1. apt-get download fortunes fortunes-min (the pinned version below; any user, no root needed
#      for download itself, but apt's package lists must exist: run `apt-get update` once);
#   2. dpkg-deb -x into corpus/data/extract/;
#   3. reads the fortune files listed in INCLUDED (LICENSE.md says why the others are left out),
#      splits them on fortune's "%" separator lines, drops empty and duplicate entries, shuffles
#      them in a fixed order (Perl's srand(1337): the same file on every machine, so the last 10 %
#      that `nexttoken train` holds out for validation is a fair sample of all files);
#   4. writes them to corpus/data/fortunes.txt, one fortune after another with a blank line between.
#
# Requires: bash, apt-get, dpkg-deb, perl (all part of a Debian/Ubuntu base system).
set -euo pipefail

VERSION="1:1.99.1-7.3"          # Debian bookworm; another version may hold other texts
PACKAGES=(fortunes fortunes-min)
INCLUDED=(
    art computers cookie debian definitions disclaimer drugs education food fortunes goedel
    humorists kids knghtbrd law linux linuxcookie literature love magic medicine miscellaneous
    news paradoxum people perl pets platitudes politics riddles science sports wisdom work
)

here="$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data="$here/data"
download="$data/download"
extract="$data/extract"
mkdir -p "$download"

cd "$download"
for package in "${PACKAGES[@]}"; do
    if ! ls "${package}"_*.deb >/dev/null 2>&1; then
        if ! apt-get download "${package}=${VERSION}" >/dev/null 2>&1; then
            echo "prepare.sh: 'apt-get download ${package}=${VERSION}' failed;" \
                 "run 'apt-get update' first, or check that this Debian release has that version" >&2
            exit 1
        fi
    fi
done

rm -rf "$extract"
mkdir -p "$extract"
for deb in "$download"/*.deb; do
    dpkg-deb -x "$deb" "$extract"
done

source_dir="$extract/usr/share/games/fortunes"
files=()
for name in "${INCLUDED[@]}"; do
    if [ ! -f "$source_dir/$name" ]; then
        echo "prepare.sh: $source_dir/$name is missing from the packages" >&2
        exit 1
    fi
    files+=("$source_dir/$name")
done

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
' "${files[@]}" > "$out.tmp"
mv "$out.tmp" "$out"
echo "prepare.sh: wrote $out ($(wc -c < "$out") bytes)" >&2
