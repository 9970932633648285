"""The built-in output kinds and check kinds, registered on first use of the registry.

Outputs: ``label``, ``json``, ``text``. Checks: ``label``, ``exact``,
``contains``, ``regex`` (:mod:`.text`), ``json_fields``, ``json_schema``
(:mod:`.json`), ``python`` (:mod:`.python`) and ``judge`` (:mod:`.judge`).
"""

from champion._scoring.kinds.json import JsonFieldsCheck, JsonSchemaCheck
from champion._scoring.kinds.judge import JudgeCheck
from champion._scoring.kinds.outputs import JsonOutput, LabelOutput, TextOutput
from champion._scoring.kinds.python import PythonCheck
from champion._scoring.kinds.text import ContainsCheck, ExactCheck, LabelCheck, RegexCheck
from champion._scoring.registry import register_check, register_output

__all__ = [
    "ContainsCheck",
    "ExactCheck",
    "JsonFieldsCheck",
    "JsonOutput",
    "JsonSchemaCheck",
    "JudgeCheck",
    "LabelCheck",
    "LabelOutput",
    "PythonCheck",
    "RegexCheck",
    "TextOutput",
]

for _output in (LabelOutput, JsonOutput, TextOutput):
    register_output(_output)
for _check in (LabelCheck, ExactCheck, ContainsCheck, RegexCheck, JsonFieldsCheck,
               JsonSchemaCheck, PythonCheck, JudgeCheck):
    register_check(_check)
