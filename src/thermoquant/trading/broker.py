"""The one broker interface: submit, cancel and query orders; positions, cash and fills.

Contract every implementation keeps (``tests/trading/test_conformance.py`` runs it on each):

* ``submit`` never raises for a refusal: it returns :class:`~.orders.SubmitResult` with ``accepted`` False, or None
  when the answer is unclear (then only :meth:`Broker.query_order` tells the truth);
* ``query_order`` finds an order by its client order id (the QMT remark), also after a restart of our process;
  None = the broker has no such order;
* ``cancel`` returns whether the broker accepted the cancel request (the order's state is what a query says);
* ``fills`` are today's executions with the broker's own trade ids (deduplicated by them);
* ``positions`` and ``cash`` are the broker's numbers, the reference for reconciliation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from thermoquant.trading.orders import BrokerOrder, Fill, OrderRequest, Position, SubmitResult


class Broker(ABC):
    """A broker account. ``name``: paper or qmt; ``account``: the account id our rows carry."""

    name: str
    account: str

    @abstractmethod
    def submit(self, request: OrderRequest) -> SubmitResult:
        """Send one order; the client order id travels with it."""

    @abstractmethod
    def cancel(self, client_order_id: str) -> bool:
        """Ask to cancel an open order; True when the broker accepted the request."""

    @abstractmethod
    def query_order(self, client_order_id: str) -> BrokerOrder | None:
        """The broker's view of the order carrying this client id, None when it has none."""

    @abstractmethod
    def query_orders(self) -> list[BrokerOrder]:
        """Today's orders the broker knows, ours (with a client id) and others."""

    @abstractmethod
    def fills(self) -> list[Fill]:
        """Today's executions."""

    @abstractmethod
    def positions(self) -> list[Position]:
        """Current holdings (zero positions left out)."""

    @abstractmethod
    def cash(self) -> float:
        """Available cash, CNY."""
