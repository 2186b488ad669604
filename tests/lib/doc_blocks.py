#!/usr/bin/env python3
"""doc_blocks.py: the code blocks of README.md and docs/*.md, for
tests/integration/docs.bats, which runs every command block.

A block is fenced (```LANG) or indented by four spaces. Command blocks are
the indented ones and those fenced as sh, bash or shell; they are run. A
fenced block of another language (text, toml, yaml, ini, ...) is not run
unless its marker says how it is checked. A fenced block without a language
is an error: say what it is.

A marker is an HTML comment on the line before the block (blank lines
between are allowed), with clauses separated by ';':

    <!-- doc-test: skip: REASON -->       not run, for REASON (keep rare)
    <!-- doc-test: sub FROM => TO -->     replace FROM by TO before running;
                                          TO may name $PORT, $WORK, $REPO
    <!-- doc-test: file PATH -->          the block is the file PATH of the
                                          repository (after the subs, which
                                          then apply to the file)
    <!-- doc-test: ansible -->            a playbook: docs.bats runs it

Usage:
    doc_blocks.py list FILE...     one line per block: FILE LINE KIND
                                   (run, skip, text, file, ansible); exit 1
                                   with a message on a block it can not class
    doc_blocks.py text FILE LINE   the block at FILE:LINE, subs applied
    doc_blocks.py file FILE LINE   the PATH of a `file` block
    doc_blocks.py reason FILE LINE the REASON of a `skip` block
    doc_blocks.py expect FILE LINE what a `file` block must be: the file,
                                   subs applied
"""
import os
import re
import sys

COMMAND_LANGS = {"sh", "bash", "shell"}
MARKER = re.compile(r"^\s*<!--\s*doc-test:(.*)-->\s*$")


class DocError(Exception):
    pass


def parse_marker(text, where):
    """The clauses of a marker: {'skip': reason, 'subs': [(a, b)], ...}."""
    m = {"subs": []}
    for clause in (c.strip() for c in text.split(";")):
        if not clause:
            continue
        if clause.startswith("skip:"):
            m["skip"] = clause[5:].strip()
            if not m["skip"]:
                raise DocError(f"{where}: doc-test skip without a reason")
        elif clause.startswith("sub "):
            if " => " not in clause:
                raise DocError(f"{where}: doc-test sub needs 'FROM => TO': {clause}")
            a, b = clause[4:].split(" => ", 1)
            m["subs"].append((a.strip(), b.strip()))
        elif clause.startswith("file "):
            m["file"] = clause[5:].strip()
        elif clause == "ansible":
            m["ansible"] = True
        else:
            raise DocError(f"{where}: unknown doc-test clause: {clause}")
    return m


def blocks(path):
    """Yield (line, lang or None for indented, text, marker) per block."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i, marker, marker_at = 0, None, 0
    while i < len(lines):
        line = lines[i]
        mm = MARKER.match(line)
        if mm:
            marker, marker_at = parse_marker(mm.group(1), f"{path}:{i + 1}"), i + 1
            i += 1
            continue
        if line.startswith("```"):
            lang = line[3:].strip()
            start, body = i + 1, []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise DocError(f"{path}:{start}: code block never closed")
            yield start, lang, "\n".join(body) + "\n", marker
            marker = None
        elif line.startswith("    ") and i > 0 and lines[i - 1].strip() == "":
            start, body = i + 1, []
            while i < len(lines) and (lines[i].startswith("    ") or
                                      (lines[i].strip() == "" and i + 1 < len(lines) and
                                       lines[i + 1].startswith("    "))):
                body.append(lines[i][4:])
                i += 1
            yield start, None, "\n".join(body) + "\n", marker
            marker = None
            continue
        elif line.strip() != "" and marker is not None:
            raise DocError(f"{path}:{marker_at}: doc-test marker not followed by a code block")
        i += 1


def kind(path, line, lang, marker):
    m = marker or {"subs": []}
    if lang == "":
        raise DocError(f"{path}:{line}: code block without a language: "
                       "```sh (run by docs.bats), ```text, ```yaml, ...")
    if "skip" in m:
        return "skip"
    if "file" in m:
        return "file"
    if m.get("ansible"):
        return "ansible"
    if lang is None or lang in COMMAND_LANGS:
        return "run"
    return "text"


def substitute(text, marker):
    """text with the marker's subs, each of which must match."""
    for a, b in (marker or {"subs": []})["subs"]:
        if a not in text:
            raise DocError(f"doc-test sub: '{a}' is not in the block")
        text = text.replace(a, os.path.expandvars(b))
    return text


def find(path, want):
    for line, lang, text, marker in blocks(path):
        if line == want:
            return lang, text, marker
    raise DocError(f"{path}:{want}: no code block starts there")


def main(argv):
    try:
        if len(argv) >= 2 and argv[0] == "list":
            for path in argv[1:]:
                for line, lang, _, marker in blocks(path):
                    print(path, line, kind(path, line, lang, marker))
            return 0
        if len(argv) == 3 and argv[0] == "expect":
            _, _, marker = find(argv[1], int(argv[2]))
            with open(marker["file"], encoding="utf-8") as f:
                sys.stdout.write(substitute(f.read(), marker))
            return 0
        if len(argv) == 3 and argv[0] in ("text", "file", "reason"):
            lang, text, marker = find(argv[1], int(argv[2]))
            if argv[0] == "text":
                # a `file` block's subs apply to the file, not to it
                is_file = "file" in (marker or {})
                sys.stdout.write(text if is_file else substitute(text, marker))
            elif argv[0] == "file":
                print((marker or {}).get("file", ""))
            else:
                print((marker or {}).get("skip", ""))
            return 0
    except DocError as e:
        print(f"doc_blocks.py: {e}", file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
