"""Writes a copy of a JSON file with values changed or removed.

    edit-json.py IN OUT PATH=VALUE... PATH-

PATH is dotted (hbm.channels.value); VALUE is JSON; PATH- removes the key.
"""

import json
import sys


def main():
    source, target, *changes = sys.argv[1:]
    root = json.load(open(source))
    for change in changes:
        path, value = (change[:-1], None) if change.endswith("-") else \
            change.split("=", 1)
        *parents, key = path.split(".")
        node = root
        for parent in parents:
            node = node[parent]
        if value is None:
            del node[key]
        else:
            node[key] = json.loads(value)
    json.dump(root, open(target, "w"), indent=1)


if __name__ == "__main__":
    main()
