"""A small, safe expression language for skip logic (``relevant``) and derived numbers (``formula``).

Definitions are written by officials and loaded from files, so they must never run arbitrary code.
Expressions are parsed with Python's own parser (``ast``, mode ``eval``) and then only a whitelist of
node types is accepted: literals, question names, arithmetic, comparisons, ``and``/``or``/``not``,
``in`` over a literal list, and three functions:

- ``answered(q)``: the question has an answer;
- ``selected(q, 'A')``: a multiple-choice answer includes option ``A``;
- ``count(q)``: how many options a multiple-choice answer selected.

The same compiled expression evaluates on one submission (a dict, for the web form) or on thousands at
once (a mapping of numpy columns, for the scoring engine), so the form and the engine never disagree.
A missing answer is ``None`` (scalar) or NaN / -1 (vector); every comparison with a missing value is
false, so a question that depends on an unanswered one stays hidden.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

FUNCTIONS = {"answered": 1, "selected": 2, "count": 1}

_ALLOWED = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE,
    ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple, ast.Call,
)

_CMP: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}
_ARITH: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
}


_METHODS: dict[tuple[type, type], Callable[..., Any]] = {}  # (evaluator class, node type) -> its visit_ method


class ExpressionError(ValueError):
    """An expression that is not valid in the language; the message says what and where."""


@dataclass(frozen=True)
class Expression:
    """A parsed, checked expression. ``names`` are the question ids it reads."""

    source: str
    tree: ast.Expression
    names: frozenset[str]

    def evaluate(self, answers: Mapping[str, Any]) -> Any:
        """Evaluate for one submission; ``answers`` maps question id to its value (None if missing)."""
        return _Scalar(answers).visit(self.tree.body)

    def truth(self, answers: Mapping[str, Any]) -> bool:
        """Evaluate as a condition: a missing value or error-free falsy result is False."""
        value = self.evaluate(answers)
        return bool(value) if value is not None else False

    def evaluate_vector(self, columns: Mapping[str, VectorColumn], n: int) -> np.ndarray:
        """Evaluate for ``n`` submissions at once; returns a bool or float array of length ``n``."""
        return np.asarray(_Vector(columns, n).visit(self.tree.body))

    def truth_vector(self, columns: Mapping[str, VectorColumn], n: int) -> np.ndarray:
        """``truth`` for ``n`` submissions at once: missing (NaN) and falsy results are False."""
        return _truthy(self.evaluate_vector(columns, n), n)


@dataclass
class VectorColumn:
    """One question's answers for many submissions, as the engine decodes them.

    ``kind`` is "code" (single/level: ``values`` holds option codes as an object array, None missing),
    "multi" (``values`` is an n x k bool matrix, ``codes`` names its columns), "number" (float, NaN
    missing), "bool" (yes/no: int8, -1 missing) or "present" (text/evidence: bool answered).
    """

    kind: str
    values: np.ndarray
    codes: tuple[str, ...] = ()


def parse(source: str, known_names: set[str] | None = None) -> Expression:
    """Parse and check ``source``; unknown question names are an error when ``known_names`` is given."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("empty expression / 表达式为空")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error at column {exc.offset}: {exc.msg} / 语法错误") from None
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ExpressionError(f"'{type(node).__name__}' is not allowed in expressions / 不允许的语法")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise ExpressionError(
                    f"unknown function; allowed: {', '.join(FUNCTIONS)} / 未知函数")
            if len(node.args) != FUNCTIONS[node.func.id] or node.keywords:
                raise ExpressionError(
                    f"{node.func.id}() takes {FUNCTIONS[node.func.id]} argument(s) / 参数个数错误")
            if not isinstance(node.args[0], ast.Name):
                raise ExpressionError(f"{node.func.id}() needs a question id first / 第一个参数须为题目编号")
            if node.func.id == "selected" and not (
                isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
            ):
                raise ExpressionError("selected(q, 'CODE') needs an option code string / 须为选项编码")
        if isinstance(node, ast.Compare) and any(isinstance(o, (ast.In, ast.NotIn)) for o in node.ops):
            if not all(isinstance(c, (ast.List, ast.Tuple)) for c in node.comparators):
                raise ExpressionError("'in' needs a literal list, e.g. q in ['A', 'B'] / in 后须为列表")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str, bool)):
            raise ExpressionError(f"literal {node.value!r} is not allowed / 不允许的常量")
        if isinstance(node, ast.Name) and node.id not in ("true", "false", "True", "False"):
            names.add(node.id)
    # function names are not question names
    callees = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names -= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) in callees} - {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in callees}
    if known_names is not None:
        unknown = sorted(names - known_names)
        if unknown:
            raise ExpressionError(f"unknown question id(s): {', '.join(unknown)} / 未知题目编号")
    return Expression(source=source, tree=tree, names=frozenset(names))


def _literal(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in ("true", "True"):
        return True
    if isinstance(node, ast.Name) and node.id in ("false", "False"):
        return False
    raise ExpressionError("list items must be literals / 列表元素须为常量")


def _list_items(comp: ast.expr) -> list[Any]:
    """The literal items after ``in`` (``parse`` lets only a literal list or tuple through)."""
    assert isinstance(comp, (ast.List, ast.Tuple))  # parse() refused anything else
    return [_literal(e) for e in comp.elts]


def _call_parts(node: ast.Call) -> tuple[str, ast.Name, Any]:
    """(function name, the question it reads, the option code or None) of a call ``parse`` accepted."""
    func, target = node.func, node.args[0]
    assert isinstance(func, ast.Name) and isinstance(target, ast.Name)  # parse() refused anything else
    code = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) else None
    return func.id, target, code


class _Evaluator(ast.NodeVisitor):
    """What both evaluators share: literals, and true/false spelt as names."""

    def visit(self, node: ast.AST) -> Any:
        """``NodeVisitor.visit`` with the method looked up once per node type and class, not by name
        on every node: the web form evaluates a page's conditions on every autosave."""
        kind = type(node)
        method = _METHODS.get((type(self), kind))
        if method is None:
            method = _METHODS[(type(self), kind)] = getattr(type(self), "visit_" + kind.__name__,
                                                              type(self).generic_visit)
        return method(self, node)

    def generic_visit(self, node: ast.AST) -> Any:  # pragma: no cover - parse() rejects these
        raise ExpressionError(f"unsupported node {type(node).__name__}")

    def visit_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in ("true", "True"):
            return True
        if node.id in ("false", "False"):
            return False
        return self.lookup(node.id)

    def lookup(self, name: str) -> Any:
        raise NotImplementedError


class _Scalar(_Evaluator):
    """Evaluates on one submission's answers (None = missing)."""

    def __init__(self, answers: Mapping[str, Any]) -> None:
        self.answers = answers

    def lookup(self, name: str) -> Any:
        value = self.answers.get(name)
        if isinstance(value, float) and math.isnan(value):
            return None
        if value == "" or value == []:
            return None
        return value

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        values = [bool(self.visit(v)) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return not bool(value)
        if value is None:
            return None
        return -value if isinstance(node.op, ast.USub) else +value

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        if left is None or right is None or isinstance(left, str) or isinstance(right, str):
            return None
        if isinstance(node.op, ast.Div) and right == 0:
            return None
        return _ARITH[type(node.op)](float(left), float(right))

    def visit_Compare(self, node: ast.Compare) -> Any:
        left = self.visit(node.left)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                items = _list_items(comp)
                if left is None:
                    return False
                found = any(_same(left, i) for i in items)
                ok = found if isinstance(op, ast.In) else not found
                right = None
            else:
                right = self.visit(comp)
                if left is None or right is None:
                    return False
                try:
                    ok = _CMP[type(op)](*_coerce(left, right))
                except TypeError:
                    return False
            if not ok:
                return False
            left = right
        return True

    def visit_Call(self, node: ast.Call) -> Any:
        name, target, code = _call_parts(node)
        value = self.answers.get(target.id)
        if name == "answered":
            return value is not None and value != "" and value != [] and not (
                isinstance(value, float) and math.isnan(value))
        selected = list(value) if isinstance(value, (list, tuple, set)) else []
        if name == "count":
            return len(selected)
        return code in selected


def _coerce(left: Any, right: Any) -> tuple[Any, Any]:
    """Compare numbers with numbers; a code like "3" compares equal to 3 (level questions)."""
    if isinstance(left, str) and isinstance(right, (int, float)) and not isinstance(right, bool):
        try:
            return float(left), float(right)
        except ValueError:
            return left, str(right)
    if isinstance(right, str) and isinstance(left, (int, float)) and not isinstance(left, bool):
        try:
            return float(left), float(right)
        except ValueError:
            return str(left), right
    return left, right


def _same(left: Any, item: Any) -> bool:
    a, b = _coerce(left, item)
    return bool(a == b)


class _Vector(_Evaluator):
    """Evaluates on columns of many submissions with numpy; mirrors ``_Scalar`` exactly."""

    def __init__(self, columns: Mapping[str, VectorColumn], n: int) -> None:
        self.columns = columns
        self.n = n

    def _full(self, value: Any) -> np.ndarray:
        return np.full(self.n, value, dtype=object if isinstance(value, str) else None)

    def lookup(self, name: str) -> Any:
        col = self.columns.get(name)
        if col is None:
            return self._full(np.nan)
        if col.kind == "bool":
            return np.where(col.values < 0, np.nan, col.values.astype(float))
        if col.kind == "present":
            return col.values.astype(bool)
        if col.kind == "multi":
            raise ExpressionError(f"use selected({name}, 'CODE') or count({name}) for a multiple choice")
        return col.values

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        parts = [_truthy(self.visit(v), self.n) for v in node.values]
        out = parts[0]
        for p in parts[1:]:
            out = (out & p) if isinstance(node.op, ast.And) else (out | p)
        return out

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return ~_truthy(value, self.n)
        value = _as_float(value, self.n)
        return -value if isinstance(node.op, ast.USub) else value

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        left = _as_float(self.visit(node.left), self.n)
        right = _as_float(self.visit(node.right), self.n)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _ARITH[type(node.op)](left, right)
        if isinstance(node.op, ast.Div):
            out = np.where(right == 0, np.nan, out)
        return out

    def visit_Compare(self, node: ast.Compare) -> Any:
        left = self.visit(node.left)
        result = np.ones(self.n, dtype=bool)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                items = _list_items(comp)
                present = _present(left, self.n)
                found = np.zeros(self.n, dtype=bool)
                for item in items:
                    found |= _vec_eq(left, item, self.n)
                ok = found if isinstance(op, ast.In) else (~found & present)
                right = None
            else:
                right = self.visit(comp)
                ok = _vec_cmp(_CMP[type(op)], left, right, self.n)
            result &= ok
            left = right
        return result

    def visit_Call(self, node: ast.Call) -> Any:
        name, target, code = _call_parts(node)
        col = self.columns.get(target.id)
        if col is None:
            return np.zeros(self.n, dtype=bool if name != "count" else float)
        if name == "answered":
            if col.kind == "multi":
                return col.values.any(axis=1)
            if col.kind == "present":
                return col.values.astype(bool)
            return _present(self.visit_Name(target), self.n)
        if col.kind != "multi":
            raise ExpressionError(f"{name}() works on multiple-choice questions only")
        if name == "count":
            return col.values.sum(axis=1).astype(float)
        if code not in col.codes:
            return np.zeros(self.n, dtype=bool)
        return col.values[:, col.codes.index(code)].astype(bool)


def _present(value: Any, n: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return np.full(n, value is not None and not (isinstance(value, float) and math.isnan(value)))
    if arr.dtype == object:
        return np.array([v is not None for v in arr], dtype=bool) if n else np.zeros(0, dtype=bool)
    if arr.dtype.kind == "f":
        present: np.ndarray = ~np.isnan(arr)
        return present
    return np.ones(n, dtype=bool)


def _truthy(value: Any, n: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return np.full(n, bool(value) if value is not None else False)
    if arr.dtype == bool:
        return arr
    if arr.dtype.kind == "f":
        truthy: np.ndarray = np.nan_to_num(arr, nan=0.0) != 0
        return truthy
    if arr.dtype == object:
        return np.array([bool(v) for v in arr], dtype=bool)
    nonzero: np.ndarray = arr != 0
    return nonzero


def _as_float(value: Any, n: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim == 0:
        try:
            return np.full(n, float(value) if value is not None else np.nan)
        except (TypeError, ValueError):
            return np.full(n, np.nan)
    if arr.dtype == object:
        out = np.full(n, np.nan)
        for i, v in enumerate(arr):
            try:
                out[i] = float(v) if v is not None else np.nan
            except (TypeError, ValueError):
                pass
        return out
    return arr.astype(float)


def _vec_eq(left: Any, item: Any, n: int) -> np.ndarray:
    return _vec_cmp(operator.eq, left, item, n)


def _vec_cmp(op: Callable[[Any, Any], Any], left: Any, right: Any, n: int) -> np.ndarray:
    """Compare with the scalar rules: missing is never equal or ordered; "3" == 3."""
    la, ra = np.asarray(left), np.asarray(right)
    numeric = any(
        (a.ndim == 0 and isinstance(a.item(), (int, float)) and not isinstance(a.item(), bool))
        or a.dtype.kind in "fiu" for a in (la, ra)
    )
    if numeric:
        lf, rf = _as_float(left, n), _as_float(right, n)
        with np.errstate(invalid="ignore"):
            out = op(lf, rf)
        result: np.ndarray = np.asarray(out, dtype=bool) & ~np.isnan(lf) & ~np.isnan(rf)
        return result
    lp, rp = _present(left, n), _present(right, n)
    lo = la if la.ndim else np.full(n, left, dtype=object)
    ro = ra if ra.ndim else np.full(n, right, dtype=object)
    out = np.zeros(n, dtype=bool)
    both = lp & rp
    if both.any():
        idx = np.nonzero(both)[0]
        try:
            out[idx] = np.asarray(op(lo[idx], ro[idx]), dtype=bool)
        except TypeError:
            pass
    return out
