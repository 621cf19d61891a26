"""config.fingerprint: the digest of the code behind cached HTML changes with that code."""

import sys

from config.fingerprint import code_digest


def test_the_digest_follows_the_modules_and_versions(tmp_path, monkeypatch):
    module = tmp_path / "fingerprinted_module.py"
    module.write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "fingerprinted_module", raising=False)

    def digest(versions=("1",)):
        return code_digest(
            templates=["projects/_filter.html"], modules=["fingerprinted_module"], versions=versions
        )

    first = digest()
    assert digest() == first and len(first) == 16
    module.write_text("VALUE = 2\n")  # a deploy changed the code: another key
    assert digest() != first
    assert digest(versions=("2",)) != digest()
