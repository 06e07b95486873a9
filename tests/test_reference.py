"""docs/configuration.md is generated from the config models and must stay current."""

from kube_platform.stacks import reference
from kube_platform.stacks.config import StackConfig


def test_configuration_reference_is_current():
    assert reference.REFERENCE_PATH.read_text() == reference.render(), (
        "docs/configuration.md is stale; run `python -m kube_platform.stacks reference --write`"
    )


def test_every_config_field_is_documented():
    undocumented = [
        f"{model.__name__}.{name}"
        for model in reference._models(StackConfig)
        for name, field in model.model_fields.items()
        if not field.description
    ]
    assert undocumented == []
