"""Skip logic for the browser: each question's ``relevant`` (and each ``formula``) as a small JSON tree.

The visit page must show and hide follow-up questions without a round trip (often there is no signal).
Rather than a second expression parser in JavaScript, the server compiles the already-checked Python
AST of ``diagnostics.expr`` into plain JSON, and ``survey_app/static/skip.js`` evaluates that JSON with
the same rules as ``expr._Scalar`` (missing values make comparisons false, "3" equals 3, and so on).
A test runs both on the same answers and compares.

Node kinds: ``lit`` (v), ``var`` (n), ``and``/``or`` (a: list), ``not``/``neg``/``pos`` (a), ``bin``
(op + - * /, l, r), ``cmp`` (l, ops: [{op, r} | {op: in/notin, items}]), ``call`` (f, q, o).
"""

from __future__ import annotations

import ast
from typing import Any

from diagnostics.answers import formula, relevance
from diagnostics.expr import Expression
from diagnostics.questionnaire import Questionnaire

_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<",
        ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.In: "in", ast.NotIn: "notin"}


def _literal(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return node.id in ("true", "True")
    raise ValueError("list items must be literals")


def _node(node: ast.AST) -> dict[str, Any]:
    if isinstance(node, ast.Constant):
        return {"k": "lit", "v": node.value}
    if isinstance(node, ast.Name):
        if node.id in ("true", "True", "false", "False"):
            return {"k": "lit", "v": node.id in ("true", "True")}
        return {"k": "var", "n": node.id}
    if isinstance(node, ast.BoolOp):
        return {"k": "and" if isinstance(node.op, ast.And) else "or", "a": [_node(v) for v in node.values]}
    if isinstance(node, ast.UnaryOp):
        kind = "not" if isinstance(node.op, ast.Not) else ("neg" if isinstance(node.op, ast.USub) else "pos")
        return {"k": kind, "a": _node(node.operand)}
    if isinstance(node, ast.BinOp):
        return {"k": "bin", "op": _OPS[type(node.op)], "l": _node(node.left), "r": _node(node.right)}
    if isinstance(node, ast.Compare):
        ops: list[dict[str, Any]] = []
        for op, comp in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                ops.append({"op": _OPS[type(op)], "items": [_literal(e) for e in comp.elts]})  # type: ignore[attr-defined]
            else:
                ops.append({"op": _OPS[type(op)], "r": _node(comp)})
        return {"k": "cmp", "l": _node(node.left), "ops": ops}
    if isinstance(node, ast.Call):
        args = node.args
        out: dict[str, Any] = {"k": "call", "f": node.func.id, "q": args[0].id}  # type: ignore[attr-defined]
        if len(args) > 1:
            out["o"] = args[1].value  # type: ignore[attr-defined]
        return out
    raise ValueError(f"unsupported node {type(node).__name__}")


def compile_expression(expression: Expression) -> dict[str, Any]:
    return _node(expression.tree.body)


def skip_program(q: Questionnaire) -> dict[str, Any]:
    """What the browser needs to decide visibility: formulas (in questionnaire order) and conditions."""
    formulas = [[qq.id, compile_expression(formula(qq))] for qq in q.questions() if qq.formula]
    relevant = {qq.id: compile_expression(relevance(qq)) for qq in q.questions() if qq.relevant and not qq.formula}
    return {"formulas": formulas, "relevant": relevant,
            "questions": [qq.id for qq in q.questions() if not qq.formula]}
