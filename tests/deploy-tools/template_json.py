"""Prints a CloudFormation YAML template as JSON, short-form tags in their long form
(`!GetAtt A.Arn` -> {"Fn::GetAtt": ["A", "Arn"]}), with cfn-lint's own reader: what the
deployment tests parse and check."""
import json
import sys

from cfnlint.decode import cfn_yaml


def plain(node):
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


with open(sys.argv[1], encoding="utf-8") as f:
    template = cfn_yaml.loads(f.read(), sys.argv[1])
print(json.dumps(plain(template), indent=1))
