"""xttype classes with the real constructors' argument order and attributes."""

from . import xtconstant as xc


class StockAccount:
    def __init__(self, account_id, account_type="STOCK"):
        account_type = account_type.upper()
        for int_type, str_type in xc.ACCOUNT_TYPE_DICT.items():
            if account_type == str_type:
                self.account_type = int_type
                self.account_id = account_id
                return
        raise Exception(f"不支持的账号类型：{account_type}！")


class XtAsset:
    def __init__(self, account_id, cash, frozen_cash, market_value, total_asset, fetch_balance):
        self.account_type = xc.SECURITY_ACCOUNT
        self.account_id = account_id
        self.cash = cash
        self.frozen_cash = frozen_cash
        self.market_value = market_value
        self.total_asset = total_asset
        self.fetch_balance = fetch_balance


class XtOrder:
    def __init__(
        self,
        account_id,
        stock_code,
        order_id,
        order_sysid,
        order_time,
        order_type,
        order_volume,
        price_type,
        price,
        traded_volume,
        traded_price,
        order_status,
        status_msg,
        strategy_name,
        order_remark,
        direction,
        offset_flag,
        secu_account,
        instrument_name,
    ):
        self.account_type = xc.SECURITY_ACCOUNT
        self.account_id = account_id
        self.stock_code = stock_code
        self.order_id = order_id
        self.order_sysid = order_sysid
        self.order_time = order_time
        self.order_type = order_type
        self.order_volume = order_volume
        self.price_type = price_type
        self.price = price
        self.traded_volume = traded_volume
        self.traded_price = traded_price
        self.order_status = order_status
        self.status_msg = status_msg
        self.strategy_name = strategy_name
        self.order_remark = order_remark
        self.direction = direction
        self.offset_flag = offset_flag
        self.secu_account = secu_account
        self.instrument_name = instrument_name


class XtTrade:
    def __init__(
        self,
        account_id,
        stock_code,
        order_type,
        traded_id,
        traded_time,
        traded_price,
        traded_volume,
        traded_amount,
        order_id,
        order_sysid,
        strategy_name,
        order_remark,
        direction,
        offset_flag,
        commission,
        secu_account,
        instrument_name,
    ):
        self.account_type = xc.SECURITY_ACCOUNT
        self.account_id = account_id
        self.order_type = order_type
        self.stock_code = stock_code
        self.traded_id = traded_id
        self.traded_time = traded_time
        self.traded_price = traded_price
        self.traded_volume = traded_volume
        self.traded_amount = traded_amount
        self.order_id = order_id
        self.order_sysid = order_sysid
        self.strategy_name = strategy_name
        self.order_remark = order_remark
        self.direction = direction
        self.offset_flag = offset_flag
        self.commission = commission
        self.secu_account = secu_account
        self.instrument_name = instrument_name


class XtPosition:
    def __init__(
        self,
        account_id,
        stock_code,
        volume,
        can_use_volume,
        open_price,
        market_value,
        frozen_volume,
        on_road_volume,
        yesterday_volume,
        avg_price,
        direction,
        last_price,
        profit_rate,
        secu_account,
        instrument_name,
    ):
        self.account_type = xc.SECURITY_ACCOUNT
        self.account_id = account_id
        self.stock_code = stock_code
        self.volume = volume
        self.can_use_volume = can_use_volume
        self.open_price = open_price
        self.market_value = market_value
        self.frozen_volume = frozen_volume
        self.on_road_volume = on_road_volume
        self.yesterday_volume = yesterday_volume
        self.avg_price = avg_price
        self.direction = direction
        self.last_price = last_price
        self.profit_rate = profit_rate
        self.secu_account = secu_account
        self.instrument_name = instrument_name


class XtOrderError:
    def __init__(
        self, account_id, order_id, error_id=None, error_msg=None, strategy_name=None, order_remark=None
    ):
        self.account_type = xc.SECURITY_ACCOUNT
        self.account_id = account_id
        self.order_id = order_id
        self.error_id = error_id
        self.error_msg = error_msg
        self.strategy_name = strategy_name
        self.order_remark = order_remark


class XtCancelError:
    def __init__(self, account_id, order_id, market, order_sysid, error_id=None, error_msg=None):
        self.account_type = xc.SECURITY_ACCOUNT
        self.account_id = account_id
        self.order_id = order_id
        self.market = market
        self.order_sysid = order_sysid
        self.error_id = error_id
        self.error_msg = error_msg
