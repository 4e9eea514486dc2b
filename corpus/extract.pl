#!/usr/bin/env perl
# Turns one source of nexttoken's training corpus into plain documents; prepare.sh calls it.
#
#   extract.pl SOURCE INPUT... > documents.txt
#
# Every source is written in the same normal form: UTF-8, one document after another with exactly
# one empty line between them and none inside a document; within a document one paragraph (or
# one verse line, one dictionary sense) per line; no trailing blanks; no markup, headword-only
# lines or page furniture. SOURCE and its INPUTs:
#
#   fortunes  FILE...         BSD fortune files ("%" lines between entries); one entry a document
#   wordnet   data.noun ...   WordNet 3.0 data files; each synset a line "words (pos): gloss",
#                             40 consecutive synsets of one lexicographer file a document
#   devil     devil.dict.dz   The Devil's Dictionary (dictd format); one entry a document
#   jargon    jargon.dict.dz  The Jargon File (dictd format); one entry a document
#   web       ot.bzs ot.bzz nt.bzs nt.bzz
#                             the World English Bible (SWORD zText, OSIS markup); one chapter a
#                             document, one paragraph a line; notes and headings dropped
#   spurgeon  ot.czs ot.czz   C. H. Spurgeon's Treasury of David, and
#   henry     ot.bzs ot.bzz nt.bzs nt.bzz
#                             Matthew Henry's Concise Commentary: Bible commentaries (SWORD
#                             zCom4, OSIS markup); one chapter of the
#                             commentary a document, one paragraph a line; outlines, headings and
#                             "Verses 1-6" and "Chapter Outline" lines dropped
#   austen    Rdata.rdb       janeaustenr's six novels (R lazy-load database of character
#                             vectors, one vector of text lines per novel); one chapter a document
#   sotu      FILE.txt...     State of the Union addresses; one address a document
#   gutenberg BOOK.txt...     Project Gutenberg books as NLTK's corpus has them (plain text
#                             wrapped at ~70 columns, paragraphs between empty lines); one
#                             chapter (or story) a document, one paragraph a line, indented
#                             verse kept line by line; title and heading lines dropped
use strict;
use warnings;
use Compress::Zlib qw(uncompress);
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use Compress::Raw::Zlib qw(Z_STREAM_END);

binmode(STDOUT, ":raw");
my ($source, @inputs) = @ARGV;
die "usage: extract.pl SOURCE INPUT...\n" unless defined $source && @inputs;

my %extractors = (
    fortunes => \&fortunes, wordnet => \&wordnet, devil => \&devil, jargon => \&jargon,
    web => \&web, spurgeon => \&commentary, henry => \&commentary, austen => \&austen,
    sotu => \&sotu, gutenberg => \&gutenberg,
);
my $extract = $extractors{$source} or die "extract.pl: unknown source '$source'\n";
my @documents = $extract->(@inputs);
my %seen;
my $written = 0;
for my $doc (@documents) {
    $doc = normalise($doc);
    next if $doc eq "" || $seen{$doc}++;
    print "\n" if $written++;
    print $doc, "\n";
}
printf STDERR "extract.pl: %-8s %7d documents\n", $source, $written;

# --- common ---------------------------------------------------------------------------------

sub slurp {
    my ($file) = @_;
    open(my $in, "<:raw", $file) or die "extract.pl: cannot read $file: $!\n";
    local $/;
    my $bytes = <$in>;
    close($in);
    return $bytes;
}

sub gunzipped {
    my ($file) = @_;
    my $out;
    gunzip($file => \$out) or die "extract.pl: cannot gunzip $file: $GunzipError\n";
    return $out;
}

# The document's normal form (bytes in, bytes out; the text is UTF-8 throughout).
sub normalise {
    my ($doc) = @_;
    $doc =~ s/\r\n?/\n/g;
    $doc =~ s/\t/ /g;
    $doc =~ s/(?:[ \x0B\x0C]|\xC2\xA0)+$//mg; # trailing blanks (no-break spaces too)
    $doc =~ s/\n{2,}/\n/g;                 # no empty line inside a document
    $doc =~ s/\A\n+//;
    $doc =~ s/\s+\z//;
    return $doc;
}

# Joins the lines of a block that were wrapped at a fixed width: a line of at least $width
# characters continues on the next one; shorter lines (verse, a paragraph's last line) end.
sub unwrap {
    my ($block, $width) = @_;
    my @lines = map { s/^\s+//r } split /\n/, $block;
    my $text = "";
    for my $i (0 .. $#lines) {
        $text .= $lines[$i];
        next if $i == $#lines;
        $text .= length($lines[$i]) >= $width ? " " : "\n";
    }
    $text =~ s/ {2,}/ /g;
    return $text;
}

# The entries of a dictd database, each once, in the order of the data file.
sub dictd_entries {
    my ($dict) = @_;
    (my $index = $dict) =~ s/\.dict\.dz$/.index/;
    my $data = gunzipped($dict);
    my %b64;
    my $alphabet = join "", "A" .. "Z", "a" .. "z", "0" .. "9", "+", "/";
    @b64{split //, $alphabet} = 0 .. 63;
    my $number = sub { my $n = 0; $n = $n * 64 + $b64{$_} for split //, $_[0]; $n };
    my %entries;
    open(my $in, "<:raw", $index) or die "extract.pl: cannot read $index: $!\n";
    while (my $line = <$in>) {
        chomp $line;
        my ($word, $offset, $length) = split /\t/, $line;
        next if $word =~ /^00-?database/;
        $entries{$number->($offset)} = $number->($length);
    }
    close($in);
    return map { substr($data, $_, $entries{$_}) } sort { $a <=> $b } keys %entries;
}

# --- sources --------------------------------------------------------------------------------

sub fortunes {
    my @docs;
    for my $file (@_) {
        my $text = slurp($file);
        $text =~ s/\r\n?/\n/g;
        push @docs, split /^%[ \t]*\n/m, $text;
    }
    return @docs;
}

sub wordnet {
    my %pos = (n => "noun", v => "verb", a => "adjective", s => "adjective", r => "adverb");
    my (@docs, @group);
    my $group_file = -1;
    my $flush = sub { push @docs, join("\n", @group) if @group; @group = () };
    for my $file (@_) {
        open(my $in, "<:raw", $file) or die "extract.pl: cannot read $file: $!\n";
        while (my $line = <$in>) {
            next if $line =~ /^  /;                       # the licence header
            my ($fields, $gloss) = split / \| /, $line, 2;
            next unless defined $gloss;
            my @f = split / /, $fields;
            my ($lexfile, $type, $count) = ($f[1], $f[2], hex $f[3]);
            my %words;
            my @words = grep { !$words{lc $_}++ }
                        map { my $w = $f[4 + 2 * $_]; $w =~ s/\([a-z]+\)$//; $w =~ tr/_/ /; $w } 0 .. $count - 1;
            $gloss =~ s/\s+\z//;
            $gloss =~ s/`/'/g;
            $flush->() if $lexfile != $group_file || @group == 40;
            $group_file = $lexfile;
            push @group, join(", ", @words) . " ($pos{$type}): $gloss";
        }
        close($in);
        $flush->();
        $group_file = -1;
    }
    return @docs;
}

sub devil {
    my @docs;
    for my $entry (dictd_entries($_[0])) {
        # The entry starts with its headword line ("ABASEMENT, n.  A decent ..."): keep it, it
        # is the definition's first line. Blocks are separated by empty lines.
        my @blocks = split /\n\s*\n/, $entry;
        my @paragraphs = map { unwrap($_, 50) } @blocks;
        # A headword line alone ("WOMAN, n.") joins the definition below it.
        splice(@paragraphs, 0, 2, "$paragraphs[0] $paragraphs[1]")
            if @paragraphs > 1 && $paragraphs[0] =~ /^[^a-z]+, [a-z. &]+\.$/;
        push @docs, join("\n", @paragraphs) =~ s/_([^_\n]+)_/$1/gr;
    }
    return @docs;
}

sub jargon {
    my @docs;
    for my $entry (dictd_entries($_[0])) {
        my @blocks = split /\n\s*\n/, $entry;
        my $head = shift @blocks;                         # "word\n /pronunciation/, n."
        next unless defined $head;
        my ($word, @rest) = split /\n/, $head;
        my $grammar = join " ", map { s/^\s+//r } @rest;
        $grammar =~ s{/[^/]*/,?\s*}{}g;                   # pronunciation
        $grammar =~ s/\s+$//;
        my @paragraphs = map { unwrap($_, 55) } @blocks;
        next unless @paragraphs;
        $paragraphs[0] = "$word" . ($grammar ne "" ? " ($grammar)" : "") . ": $paragraphs[0]";
        my $doc = join "\n", @paragraphs;
        $doc =~ s/\{([^{}]*)\}/$1/g;                      # cross-reference braces
        $doc =~ s/\xC2\xA0/ /g;                           # no-break spaces used for layout
        $doc =~ s/^ +//mg;
        $doc =~ s/ {2,}/ /g;
        push @docs, $doc;
    }
    return @docs;
}

# The chapters of a SWORD module in OSIS markup (zText or zCom4: a block index of
# (offset, size, uncompressed size) triples and zlib blocks), each as its raw OSIS text.
sub sword_chapters {
    my @chapters;
    while (my ($index, $blocks) = splice(@_, 0, 2)) {
        my $triples = slurp($index);
        my $compressed = slurp($blocks);
        for (my $at = 0; $at + 12 <= length $triples; $at += 12) {
            my ($offset, $size, $usize) = unpack("VVV", substr($triples, $at, 12));
            next unless $size;
            my $osis = uncompress(substr($compressed, $offset, $size));
            defined $osis or die "extract.pl: cannot inflate block at $offset of $blocks\n";
            push @chapters, $1
                while $osis =~ m{<chapter\b[^>]*\bsID="[^"]*"[^>]*/>(.*?)<chapter\b[^>]*\beID="}sg;
        }
    }
    return @chapters;
}

# OSIS markup to plain text: one paragraph (or poetry line) a line; notes, headings, tables of
# contents and other markup dropped.
sub osis_text {
    my ($text) = @_;
    $text =~ s{<note\b.*?</note>}{\x01}sg;        # footnotes, cross references
    $text =~ s{<title\b.*?</title>}{}sg;          # section headings
    $text =~ s{<table\b.*?</table>}{}sg;          # chapter outlines (commentaries)
    $text =~ s{<div\b[^>]*\beID="[^"]*"[^>]*/>}{\n}g;   # paragraph ends
    $text =~ s{<l\b[^>]*\beID="[^"]*"[^>]*/>}{\n}g;     # poetry line ends
    $text =~ s{</(?:l|item|p)>}{\n}g;
    $text =~ s{<lb\b[^>]*/>}{\n}g;
    $text =~ s{<[^>]*>}{}g;
    $text =~ s/([A-Za-z])\x01([A-Za-z])/$1 $2/g;   # a note between two words
    $text =~ s/\x01//g;
    $text =~ s/&lt;/</g; $text =~ s/&gt;/>/g; $text =~ s/&quot;/"/g;
    $text =~ s/&apos;/'/g; $text =~ s/&amp;/&/g;
    $text =~ s/[ \t]+/ /g;
    $text =~ s/^ +//mg;
    return $text;
}

sub web {
    return map { osis_text($_) } sword_chapters(@_);
}

# A commentary's chapter: its prose, without the lines that only name the verses commented on
# ("Verses 1-6") or announce an outline.
sub commentary {
    my @docs;
    for my $chapter (sword_chapters(@_)) {
        my $text = osis_text($chapter);
        $text =~ s/^(?:Verses? [0-9][0-9, \-]*\.?|Chapter Outline)[ \t]*$//mg;
        push @docs, $text;
    }
    return @docs;
}

# R's serialisation (XDR, version 2 or 3) of a character vector: the novel's lines.
sub r_strings {
    my ($bytes) = @_;
    my $at = 0;
    my $int = sub { my $v = unpack("l>", substr($bytes, $at, 4)); $at += 4; $v };
    substr($bytes, 0, 2) eq "X\n" or die "extract.pl: not an XDR R serialisation\n";
    $at = 2;
    my $version = $int->();
    $int->(); $int->();                                   # writer's and reader's R versions
    if ($version == 3) { my $n = $int->(); $at += $n }    # native encoding
    my $flags = $int->();
    ($flags & 0xFF) == 16 or die "extract.pl: not a character vector (type " . ($flags & 0xFF) . ")\n";
    my $count = $int->();
    my @strings;
    for (1 .. $count) {
        my $f = $int->();
        ($f & 0xFF) == 9 or die "extract.pl: not a string (type " . ($f & 0xFF) . ")\n";
        my $n = $int->();
        if ($n < 0) { push @strings, ""; next }          # NA
        push @strings, substr($bytes, $at, $n);
        $at += $n;
    }
    return @strings;
}

sub austen {
    my $db = slurp($_[0]);
    my @docs;
    my $at = 0;
    while ($at < length $db) {
        my $size = unpack("N", substr($db, $at, 4));
        my $rest = substr($db, $at + 4);
        my ($z, $status) = Compress::Raw::Zlib::Inflate->new(-ConsumeInput => 1, -Bufsize => 1 << 20);
        $z or die "extract.pl: inflate: $status\n";
        my $object;
        $status = $z->inflate($rest, $object);
        $status == Z_STREAM_END or die "extract.pl: cannot inflate the object at $at: $status\n";
        length($object) == $size or die "extract.pl: object at $at: $size bytes expected\n";
        $at = length($db) - length($rest);
        my @lines = r_strings($object);
        # One novel: its title page, then chapters headed "CHAPTER 1", "Chapter 1" or
        # "CHAPTER I" (sometimes below a "VOLUME I" line).
        my (@chapters, $current);
        for my $line (@lines) {
            if ($line =~ /^\s*(?:CHAPTER|Chapter)\s+[0-9IVXLC]+\.?\s*$/) {
                push @chapters, $current if defined $current;
                $current = "";
                next;
            }
            next unless defined $current;                 # the title page
            next if $line =~ /^\s*VOLUME\s+[IVX]+\s*$/i || $line =~ /^\s*THE END\s*$/
                 || $line =~ /^[\s*]+\*[\s*]*$/;            # "* * * * *" section breaks
            $current .= "$line\n";
        }
        push @chapters, $current if defined $current;
        for my $chapter (@chapters) {
            # Paragraphs are separated by empty lines; the lines of one are joined.
            push @docs, join("\n", map { join " ", grep { $_ ne "" } map { s/^\s+|\s+$//gr } split /\n/ }
                                   grep { /\S/ } split /\n\s*\n/, $chapter);
            $docs[-1] =~ s/_([^_\n]+)_/$1/g;          # _italics_
        }
    }
    return @docs;
}

sub sotu {
    my @docs;
    for my $file (sort @_) {
        my $text = slurp($file);
        $text =~ s/\r\n?/\n/g;
        my @paragraphs = grep { /\S/ } split /\n/, $text;
        my $doc = join("\n", map { s/^\s+|\s+$//gr } @paragraphs);
        $doc =~ s/\s*\[(?:[Ll]aughter|[Aa]pplause)\]//g;    # the transcripts' audience reactions
        $doc =~ s/\.{4,}/ /g;                               # dot leaders of a few tables
        $doc =~ s/ {2,}/ /g;
        push @docs, $doc;
    }
    return @docs;
}

# A line that heads a chapter or story rather than saying anything: "CHAPTER I.", "I. The
# Absence of Mr Glass", "II", or a title in capitals ("THE ORPHANS.").
sub heading {
    my ($line) = @_;
    return 0 if length($line) > 80;
    return $line =~ /^(?:CHAPTER|Chapter)\b/ || $line =~ /^[IVXLC]+\.?(?:\s|$)/
        || ($line =~ /[A-Z]{2}/ && $line !~ /[a-z]/);
}

sub gutenberg {
    my @docs;
    for my $file (@_) {
        my $text = slurp($file);
        # A few books are ISO-8859-1 ("caf\xE9"): any text that is not UTF-8 is read as Latin-1.
        my $copy = $text;
        utf8::encode($text) unless utf8::decode($copy);
        $text =~ s/\r\n?/\n/g;
        $text =~ s/\A\[[^\]\n]*\][ \t]*\n//;              # "[The Ball and The Cross by ... 1909]"
        $text =~ s/^End of (?:the )?Project Gutenberg.*//ms;   # the licence and notes after the book
        my $current = "";
        my $flush = sub { push @docs, $current if $current =~ /\S/; $current = "" };
        for my $block (split /\n[ \t]*\n/, $text) {
            my @lines = grep { /\S/ } split /\n/, $block;
            next unless @lines;
            if (@lines == 1 && heading($lines[0] =~ s/^\s+|\s+$//gr)) {
                $flush->();
                next;
            }
            # Verse is indented line by line; a prose paragraph (its first line at most
            # indented) is one line.
            my $verse = !grep { !/^\s{2,}/ } @lines;
            my @kept = map { s/^\s+|\s+$//gr } @lines;
            my $paragraph = $verse ? join("\n", @kept) : join(" ", @kept);
            $paragraph =~ s/ {2,}/ /g;
            $paragraph =~ s/_([^_\n]+)_/$1/g;                  # _italics_
            $current .= "$paragraph\n";
        }
        $flush->();
    }
    return @docs;
}
