"""The JSONata syntax AWS Step Functions accepts: that of JSONata 2.0.6, without what later versions added.

jsonata-python parses ``a ?? b`` (coalescing) and ``a ?: b`` (default), operators of JSONata 2.1. JSONata 2.0.6 has
no such tokens: its tokenizer reads ``?`` and then ``?`` or ``:``, which cannot start an expression, and the parser
stops with S0211 ("The symbol ? cannot be used as a unary operator"). ``check`` parses an expression with a parser of
our own whose two operators raise that error, so the definition is refused as AWS refuses it. The tokens are those of
the library's own tokenizer, so ``?`` in a conditional ``a ? b : c``, and ``??`` or ``?:`` in a string literal, a
quoted name or a regular expression (``/a??/``), are left alone.
"""

from __future__ import annotations

import threading

from jsonata import jexception, parser, tokenizer

JException = jexception.JException

_NEWER_OPERATORS = ("??", "?:")


class NewerSyntax(JException):
    """S0211 at an operator JSONata 2.0.6 does not have."""


class _Refused(parser.Parser.Infix):
    """An operator of JSONata 2.1+: an error at the place JSONata 2.0.6 would stop."""

    def __init__(self, outer_instance: parser.Parser, operator: str) -> None:
        super().__init__(outer_instance, operator, tokenizer.Tokenizer.operators[operator])
        self._operator = operator

    def led(self, left: parser.Parser.Symbol) -> parser.Parser.Symbol:
        # 2.0.6 reads "?" then the second character, which cannot start an expression.
        raise NewerSyntax("S0211", self.position, self._operator[1])


class Parser206(parser.Parser):
    """The library's parser, with the operators JSONata 2.0.6 does not have refused."""

    def __init__(self) -> None:
        super().__init__()
        for operator in _NEWER_OPERATORS:
            refused = _Refused(self, operator)
            refused.lbp = self.symbol_table[operator].lbp  # the binding power ``register`` gave the operator
            self.symbol_table[operator] = refused


_LOCAL = threading.local()


def check(expression: str) -> None:
    """Raise the JException JSONata 2.0.6 raises for syntax it does not have (``??``, ``?:``); None otherwise.

    Other syntax errors are left to the expression's own compilation.
    """
    if "?" not in expression:
        return
    strict = getattr(_LOCAL, "parser", None)
    if strict is None:
        strict = _LOCAL.parser = Parser206()
    try:
        strict.parse(expression)
    except NewerSyntax:
        raise
    except JException:
        pass  # another syntax error: the compilation reports it
