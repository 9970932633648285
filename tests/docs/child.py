"""Runs the python blocks of one documentation page, in order, in one namespace.

Reads one JSON object per line on stdin (``code``, ``file``), runs the code and
answers on the file descriptor given as the only argument: ``{"ok": true}`` or
``{"ok": false, "error": traceback}``. The code's own output goes to stdout.
"""

import json
import os
import sys
import traceback

answers = os.fdopen(int(sys.argv[1]), "w", encoding="utf-8")
namespace = {"__name__": "__main__"}
for line in sys.stdin:
    request = json.loads(line)
    try:
        exec(compile(request["code"], request["file"], "exec"), namespace)
        answer = {"ok": True}
    except BaseException:  # a block's failure, whatever it is, is the answer
        answer = {"ok": False, "error": traceback.format_exc()}
    sys.stdout.flush()
    sys.stderr.flush()
    answers.write(json.dumps(answer) + "\n")
    answers.flush()
