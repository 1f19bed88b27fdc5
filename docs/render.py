"""Renders starlark_doc_extract's textproto output (stardoc_output.ModuleInfo) as Markdown.

    render.py MODULE.textproto --load LABEL --source LABEL -o OUT.md

A small reader of the protobuf text format (what starlark_doc_extract writes), so that the docs
need neither stardoc nor the protobuf package.
"""

import argparse
import codecs
import re
import sys

_TOKEN = re.compile(r'\s*(?:(#[^\n]*)|("(?:[^"\\]|\\.)*")|([A-Za-z0-9_.+-]+)|([:{}]))', re.S)


def _tokens(text):
    position = 0
    while True:
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            if text[position:].strip():
                raise ValueError(f"cannot parse the text proto at: {text[position:position + 40]!r}")
            return
        position = match.end()
        comment, string, word, punctuation = match.groups()
        if comment is None:
            yield string or word or punctuation


def _unquote(token):
    return codecs.escape_decode(token[1:-1].encode("utf-8"))[0].decode("utf-8")


def parse(text):
    """Text proto -> {field: [values]}, where a value is a string or such a dict."""
    tokens = list(_tokens(text))
    position = 0

    def message(end):
        nonlocal position
        fields = {}
        while position < len(tokens) and tokens[position] != end:
            name = tokens[position]
            position += 1
            if tokens[position] == ":":
                position += 1
            if tokens[position] == "{":
                position += 1
                value = message("}")
                position += 1
            else:
                token = tokens[position]
                position += 1
                value = _unquote(token) if token.startswith('"') else token
                # Adjacent string literals are one string.
                while value is not None and position < len(tokens) and tokens[position].startswith('"') \
                        and token.startswith('"'):
                    value += _unquote(tokens[position])
                    position += 1
            fields.setdefault(name, []).append(value)
        return fields

    return message(None)


def _one(fields, name, default=""):
    return fields.get(name, [default])[0]


_TYPES = {
    "NAME": "name",
    "INT": "integer",
    "LABEL": "label",
    "STRING": "string",
    "STRING_LIST": "list of strings",
    "INT_LIST": "list of integers",
    "LABEL_LIST": "list of labels",
    "BOOLEAN": "boolean",
    "LABEL_STRING_DICT": "dictionary: label -> string",
    "STRING_DICT": "dictionary: string -> string",
    "STRING_LIST_DICT": "dictionary: string -> list of strings",
    "OUTPUT": "output file",
    "OUTPUT_LIST": "list of output files",
}


def _cell(text):
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return text.strip().replace("|", "\\|").replace("\n\n", "<br><br>").replace("\n", " ") or " "


def _markdown(doc):
    """A docstring as Markdown: indented lines are code blocks (after a blank line), and outside
    them < and > are text, not HTML."""
    out = []
    for line in doc.strip().splitlines():
        indented = line.startswith("    ")
        if indented and out and out[-1].strip() and not out[-1].startswith("    "):
            out.append("")
        out.append(line if indented else line.replace("<", "&lt;").replace(">", "&gt;"))
    return "\n".join(out) + "\n"


def _code(text):
    return f"<code>{text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}</code>"


def _signature(name, params, load):
    return (f'<pre>\nload("{load}", "{name}")\n\n{name}(' + ", ".join(params) + ")\n</pre>\n")


def _rule(rule, load):
    name = _one(rule, "rule_name")
    attributes = rule.get("attribute", [])
    out = [f"### {name}\n", _signature(name, [_one(a, "name") for a in attributes], load)]
    out.append(_markdown(_one(rule, "doc_string")))
    out.append("| attribute | description | type | mandatory | default |")
    out.append("|---|---|---|---|---|")
    for attribute in attributes:
        default = _one(attribute, "default_value")
        out.append("| {} | {} | {} | {} | {} |".format(
            _code(_one(attribute, "name")),
            _cell(_one(attribute, "doc_string")),
            _TYPES.get(_one(attribute, "type"), _one(attribute, "type").lower()),
            "yes" if _one(attribute, "mandatory") == "true" else "no",
            _code(default) if default else " ",
        ))
    return "\n".join(out) + "\n"


def _function(function, load):
    name = _one(function, "function_name")
    params = function.get("parameter", [])
    shown = []
    for param in params:
        role = _one(param, "role")
        prefix = "**" if role == "PARAM_ROLE_KWARGS" else "*" if role == "PARAM_ROLE_VARARGS" else ""
        shown.append(prefix + _one(param, "name"))
    out = [f"### {name}\n", _signature(name, shown, load), _markdown(_one(function, "doc_string"))]
    out.append("| parameter | description | default |")
    out.append("|---|---|---|")
    for param, display in zip(params, shown):
        default = _one(param, "default_value")
        out.append("| {} | {} | {} |".format(
            _code(display),
            _cell(_one(param, "doc_string")),
            _code(default) if default else ("mandatory" if _one(param, "mandatory") == "true" else " "),
        ))
    return "\n".join(out) + "\n"


def _provider(provider, load):
    name = _one(provider, "provider_name")
    out = [f"### {name}\n", f'<pre>\nload("{load}", "{name}")\n</pre>\n', _markdown(_one(provider, "doc_string"))]
    out.append("| field | description |")
    out.append("|---|---|")
    for field in provider.get("field_info", []):
        out.append(f"| {_code(_one(field, 'name'))} | {_cell(_one(field, 'doc_string'))} |")
    return "\n".join(out) + "\n"


def render(module, load, source):
    out = [
        f"<!-- Generated from the docstrings of {source} by //docs:rules_md (starlark_doc_extract).",
        "     Do not edit: change the docstrings, then run `bazel run //docs:update`. -->\n",
        f"# rules_microtvm: `{load}`\n",
        "```",
        _one(module, "module_docstring").strip(),
        "```\n",
    ]
    sections = [
        ("Rules", "rule_info", _rule),
        ("Macros", "func_info", _function),
        ("Providers", "provider_info", _provider),
    ]
    for title, field, write in sections:
        if module.get(field):
            out.append(f"## {title}\n")
            out.extend(write(item, load) for item in module[field])
    return "\n".join(out).rstrip() + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("textproto")
    parser.add_argument("--load", required=True, help="the label users load the symbols from")
    parser.add_argument("--source", required=True, help="the label of the documented file")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    with open(args.textproto, encoding="utf-8") as f:
        module = parse(f.read())
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(render(module, args.load, args.source))
    return 0


if __name__ == "__main__":
    sys.exit(main())
