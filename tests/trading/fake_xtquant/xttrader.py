"""XtQuantTrader / XtQuantTraderCallback with the real names, argument orders and return codes, over an in-memory
venue that outlives a trader object (the QMT client keeps running when our process restarts)."""

import itertools
import time
from concurrent.futures import ThreadPoolExecutor

from . import xtconstant as xc
from .xttype import XtAsset, XtOrder, XtOrderError, XtPosition, XtTrade


class XtQuantTraderCallback:
    def on_connected(self):
        pass

    def on_disconnected(self):
        pass

    def on_account_status(self, status):
        pass

    def on_stock_asset(self, asset):
        pass

    def on_stock_order(self, order):
        pass

    def on_stock_trade(self, trade):
        pass

    def on_stock_position(self, position):
        pass

    def on_order_error(self, order_error):
        pass

    def on_cancel_error(self, cancel_error):
        pass

    def on_order_stock_async_response(self, response):
        pass

    def on_cancel_order_stock_async_response(self, response):
        pass


class Venue:
    """The broker's side: cash, positions, today's orders and trades, last prices, fault knobs."""

    def __init__(self, cash=1_000_000.0):
        self.cash = cash
        self.positions = {}  # code -> [volume, can_use_volume, avg_price]
        self.orders = []
        self.trades = []
        self.prices = {}
        self.ids = itertools.count(1001)
        self.trade_ids = itertools.count(1)
        self.minus_one_but_live = False
        self.silent_reject_funds = False
        self.rest_orders = False
        self.clock = time.time  # seconds since the epoch stamped on orders and trades
        self.order_calls = []  # (stock_code, order_type, order_volume, price_type, price, strategy_name, remark)

    def new_day(self):
        for p in self.positions.values():
            p[1] = p[0]
        self.orders.clear()
        self.trades.clear()


VENUES = {}


def venue(path):
    return VENUES.setdefault(path, Venue())


class XtQuantTrader:
    def __init__(self, path, session, callback=None):
        self.path = path
        self.session = session
        self.callback = callback
        self.connected = False
        self.venue = venue(path)
        self.executor = None

    def register_callback(self, callback):
        self.callback = callback

    def start(self):
        self.executor = ThreadPoolExecutor(max_workers=1)

    def stop(self):
        self.executor.shutdown(wait=True)

    def connect(self):
        self.connected = True
        return 0

    def subscribe(self, account):
        return 0

    def _push(self, name, obj):
        if self.callback is not None:
            self.executor.submit(getattr(self.callback, name), obj)

    def _order_obj(self, o):
        return XtOrder(
            o["account_id"],
            o["code"],
            o["id"],
            str(o["id"]),
            o["time"],
            o["type"],
            o["volume"],
            o["price_type"],
            o["price"],
            o["traded"],
            o["traded_price"],
            o["status"],
            o["msg"],
            o["strategy"],
            o["remark"],
            48,
            o["type"],
            "A000000",
            "",
        )

    def order_stock(
        self,
        account,
        stock_code,
        order_type,
        order_volume,
        price_type,
        price,
        strategy_name="",
        order_remark="",
    ):
        v = self.venue
        v.order_calls.append(
            (stock_code, order_type, order_volume, price_type, price, strategy_name, order_remark)
        )
        px = v.prices.get(stock_code, 0.0)
        fill_px = price if price_type == xc.FIX_PRICE else px
        if v.silent_reject_funds and order_type == xc.STOCK_BUY and fill_px * order_volume > v.cash:
            return -1  # rejected before passorder: no record, no callback
        o = {
            "account_id": account.account_id,
            "code": stock_code,
            "id": next(v.ids),
            "time": int(self.venue.clock()),
            "type": order_type,
            "volume": order_volume,
            "price_type": price_type,
            "price": price,
            "traded": 0,
            "traded_price": 0.0,
            "status": xc.ORDER_REPORTED,
            "msg": "",
            "strategy": "",
            "remark": order_remark,
        }
        v.orders.append(o)
        self._push("on_stock_order", self._order_obj(o))
        marketable = price_type != xc.FIX_PRICE or (
            (order_type == xc.STOCK_BUY and px <= price) or (order_type == xc.STOCK_SELL and px >= price)
        )
        if not v.rest_orders and marketable:
            self._match(o, px)
        return -1 if v.minus_one_but_live else o["id"]

    def fill_resting(self):
        for o in self.venue.orders:
            if o["status"] == xc.ORDER_REPORTED:
                self._match(o, self.venue.prices.get(o["code"], 0.0))

    def _match(self, o, px):
        v = self.venue
        amount = px * o["volume"]
        commission = max(amount * 0.00025, 5.0)
        pos = v.positions.setdefault(o["code"], [0, 0, 0.0])
        if o["type"] == xc.STOCK_BUY and amount + commission > v.cash:
            o["status"], o["msg"] = xc.ORDER_JUNK, "可用资金不足"
            self._push(
                "on_order_error", XtOrderError(o["account_id"], o["id"], -61, o["msg"], "", o["remark"])
            )
            return
        if o["type"] == xc.STOCK_SELL and pos[1] < o["volume"]:
            o["status"], o["msg"] = xc.ORDER_JUNK, "可用股份不足"
            self._push(
                "on_order_error", XtOrderError(o["account_id"], o["id"], -61, o["msg"], "", o["remark"])
            )
            return
        if o["type"] == xc.STOCK_BUY:
            pos[2] = (pos[2] * pos[0] + amount) / (pos[0] + o["volume"])
            pos[0] += o["volume"]
            v.cash -= amount + commission
        else:
            pos[0] -= o["volume"]
            pos[1] -= o["volume"]
            v.cash += amount - commission
        o["traded"], o["traded_price"], o["status"] = o["volume"], px, xc.ORDER_SUCCEEDED
        t = XtTrade(
            o["account_id"],
            o["code"],
            o["type"],
            str(next(v.trade_ids)),
            int(self.venue.clock()),
            px,
            o["volume"],
            amount,
            o["id"],
            str(o["id"]),
            "",
            o["remark"],
            48,
            o["type"],
            commission,
            "A000000",
            "",
        )
        v.trades.append(t)
        self._push("on_stock_order", self._order_obj(o))
        self._push("on_stock_trade", t)

    def cancel_order_stock(self, account, order_id):
        for o in self.venue.orders:
            if o["id"] == order_id and o["status"] in (xc.ORDER_REPORTED, xc.ORDER_PART_SUCC):
                o["status"] = xc.ORDER_PART_CANCEL if o["traded"] else xc.ORDER_CANCELED
                self._push("on_stock_order", self._order_obj(o))
                return 0
        return -1

    def query_stock_orders(self, account, cancelable_only=False):
        out = [self._order_obj(o) for o in self.venue.orders]
        if cancelable_only:
            out = [o for o in out if o.order_status in (xc.ORDER_REPORTED, xc.ORDER_PART_SUCC)]
        return out

    def query_stock_order(self, account, order_id):
        for o in self.venue.orders:
            if o["id"] == order_id:
                return self._order_obj(o)
        return None

    def query_stock_trades(self, account):
        return list(self.venue.trades)

    def query_stock_positions(self, account):
        return [
            XtPosition(
                account.account_id,
                code,
                p[0],
                p[1],
                p[2],
                p[0] * self.venue.prices.get(code, 0.0),
                0,
                0,
                p[1],
                p[2],
                48,
                self.venue.prices.get(code, 0.0),
                0.0,
                "A000000",
                "",
            )
            for code, p in self.venue.positions.items()
        ]

    def query_stock_asset(self, account):
        mv = sum(p[0] * self.venue.prices.get(c, 0.0) for c, p in self.venue.positions.items())
        return XtAsset(account.account_id, self.venue.cash, 0.0, mv, self.venue.cash + mv, self.venue.cash)
