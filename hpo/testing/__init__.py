"""Contract test suites for your own samplers and storages (needs pytest; ``import hpo`` does not load it).

Subclass a contract in a test module, name the subclass ``Test...`` so that pytest collects it,
and tell it how to build the object under test; every test of the contract then runs on it::

    from hpo.testing import SamplerContract

    class TestMySampler(SamplerContract):
        def make_sampler(self, seed):
            return MySampler(seed=seed)

:class:`StorageContract` works the same way with ``make_storage()``; a storage that needs other
fixtures (``tmp_path``) or several configurations overrides the ``storage`` fixture instead, and
one with a second view of its data (a database URL) implements ``reopen()`` so that every test
also checks that this view holds the same studies and trials::

    class TestMyStorage(StorageContract):
        @pytest.fixture
        def storage(self, tmp_path):
            self.url = f"sqlite:///{tmp_path / 'test.db'}"
            made = MyStorage(self.url)
            yield made
            made.close()

        def reopen(self, storage):
            return hpo.storages.get_storage(self.url)

Class attributes describe what the contract may expect (``SamplerContract.seeded``,
``n_trials``, ``finite_only``; ``StorageContract.datetime_tolerance``).
"""

import pytest

pytest.register_assert_rewrite("hpo.testing._samplers", "hpo.testing._storages")

from hpo.testing._samplers import SamplerContract  # noqa: E402  (after the rewrite registration)
from hpo.testing._storages import StorageContract  # noqa: E402

__all__ = ["SamplerContract", "StorageContract"]
