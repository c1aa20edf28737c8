#!/usr/bin/env python3
"""tools/lang_add.py - adds words to the catalogues web/lang/en.json and
web/lang/cy.json (issue 15 item 5), the one place the console and the
public documents take their text from.

    tools/lang_add.py WORDS.json

WORDS.json: {"key": ["English", "Cymraeg"], ...}. A key already there is
replaced. Keys are kept sorted, one per line, so changes read well in a
diff. Several people may add at once: the files are locked while written.
Refuses a pair whose {placeholders} differ, or an empty text."""
import fcntl
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LANG = os.path.join(ROOT, "web", "lang")


def names(text):
    return sorted(set(re.findall(r"\{(\w+)\}", text)))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        new = json.load(f)
    for key, pair in new.items():
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) and x.strip() for x in pair)):
            sys.exit("%s: want [\"English\", \"Cymraeg\"], both non-empty" % key)
        if names(pair[0]) != names(pair[1]):
            sys.exit("%s: the placeholders differ: %s and %s" % (key, names(pair[0]), names(pair[1])))
    with open(os.path.join(LANG, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for i, lang in enumerate(("en", "cy")):
            path = os.path.join(LANG, lang + ".json")
            with open(path, encoding="utf-8") as f:
                words = json.load(f)
            for key, pair in new.items():
                words[key] = pair[i]
            tmp = path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(dict(sorted(words.items())), f, ensure_ascii=False, indent=0)
                f.write("\n")
            os.replace(tmp, path)
    print("%d keys added or replaced" % len(new))


if __name__ == "__main__":
    main()
