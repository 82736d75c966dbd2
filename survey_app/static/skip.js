/* Skip logic in the browser: evaluates the JSON trees of diagnostics/field/skip_ast.py with the rules of
   diagnostics.expr._Scalar (a missing answer makes every comparison false; "3" == 3). No eval, no DOM. */
(function (root) {
  "use strict";
  function missing(v) { return v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0) || (typeof v === "number" && isNaN(v)); }
  function isNum(v) { return typeof v === "number"; }
  function coerce(a, b) {
    if (typeof a === "string" && isNum(b) && typeof b !== "boolean") {
      var x = Number(a.trim()); return (a.trim() !== "" && !isNaN(x)) ? [x, b] : [a, String(b)];
    }
    if (typeof b === "string" && isNum(a)) {
      var y = Number(b.trim()); return (b.trim() !== "" && !isNaN(y)) ? [a, y] : [String(a), b];
    }
    return [a, b];
  }
  function eq(a, b) {
    var c = coerce(a, b);
    if (typeof c[0] === "boolean" || typeof c[1] === "boolean") { return (c[0] === true ? 1 : c[0] === false ? 0 : c[0]) === (c[1] === true ? 1 : c[1] === false ? 0 : c[1]); }
    return c[0] === c[1];
  }
  function cmp(op, a, b) {
    var c = coerce(a, b), l = c[0], r = c[1];
    if (typeof l === "boolean") { l = l ? 1 : 0; }
    if (typeof r === "boolean") { r = r ? 1 : 0; }
    if (op === "==") { return eq(a, b); }
    if (op === "!=") { return !eq(a, b); }
    if (typeof l !== typeof r) { return false; }  /* Python raises TypeError: the condition is false */
    if (op === "<") { return l < r; }
    if (op === "<=") { return l <= r; }
    if (op === ">") { return l > r; }
    if (op === ">=") { return l >= r; }
    return false;
  }
  function truthy(v) { return !(v === null || v === undefined || v === false || v === 0 || v === "" || (Array.isArray(v) && v.length === 0)); }
  function ev(node, answers) {
    switch (node.k) {
      case "lit": return node.v;
      case "var": { var v = answers[node.n]; return missing(v) ? null : v; }
      case "and": return node.a.every(function (n) { return truthy(ev(n, answers)); });
      case "or": return node.a.some(function (n) { return truthy(ev(n, answers)); });
      case "not": return !truthy(ev(node.a, answers));
      case "neg": case "pos": { var u = ev(node.a, answers); if (u === null) { return null; } return node.k === "neg" ? -u : +u; }
      case "bin": {
        var l = ev(node.l, answers), r = ev(node.r, answers);
        if (l === null || r === null || typeof l === "string" || typeof r === "string") { return null; }
        l = Number(l); r = Number(r);
        if (node.op === "/" && r === 0) { return null; }
        return node.op === "+" ? l + r : node.op === "-" ? l - r : node.op === "*" ? l * r : l / r;
      }
      case "cmp": {
        var left = ev(node.l, answers);
        for (var i = 0; i < node.ops.length; i++) {
          var o = node.ops[i], ok, right = null;
          if (o.op === "in" || o.op === "notin") {
            if (left === null) { return false; }
            var found = o.items.some(function (it) { return eq(left, it); });
            ok = o.op === "in" ? found : !found;
          } else {
            right = ev(o.r, answers);
            if (left === null || right === null) { return false; }
            ok = cmp(o.op, left, right);
          }
          if (!ok) { return false; }
          left = right;
        }
        return true;
      }
      case "call": {
        var value = answers[node.q];
        if (node.f === "answered") { return !missing(value); }
        var sel = Array.isArray(value) ? value : [];
        if (node.f === "count") { return sel.length; }
        return sel.indexOf(node.o) >= 0;
      }
    }
    throw new Error("unknown node " + node.k);
  }
  function visible(program, answers) {
    var values = Object.assign({}, answers);
    program.formulas.forEach(function (f) { values[f[0]] = ev(f[1], values); });
    return program.questions.filter(function (qid) {
      var cond = program.relevant[qid];
      if (!cond) { return true; }
      var v = ev(cond, values);
      return v !== null && truthy(v);
    });
  }
  root.ShuzhenSkip = { evaluate: ev, visible: visible };
  if (typeof module !== "undefined") { module.exports = root.ShuzhenSkip; }
})(typeof window !== "undefined" ? window : globalThis);
