#!/usr/bin/env python3
"""Deterministic generator of distributor exports for the channel-2009 rule set.

The rows follow the export contract (shared/spec/distributor-export.md): the thirteen input
columns in the contract's order, UTF-8 without BOM, LF line ends, RFC 4180 quoting only
where needed. Every row is valid (no rejects): values are taken from the columns' domains,
ids are unique and ascending, names may hold commas, quotes and line breaks.

Usage:
  gen_sample_export.py                       # writes rules/channel-2009/sample/distributors.csv
  gen_sample_export.py --rows N --seed S     # writes N rows to stdout (benchmarks)
  gen_sample_export.py --rows N --out FILE   # writes N rows to FILE

The default sample is exactly `--rows 400 --seed 20091019`. Its customer ids are referenced
by the sample manufacturer lists (rules/channel-2009/lists/), so keep the defaults stable:
changing the pools or the order of random draws below changes every id after the change.

Python 3 standard library only; 1,000,000 rows take a few seconds.
"""

import argparse
import csv
import io
import os
import random
import sys

DEFAULT_SEED = 20091019
DEFAULT_ROWS = 400
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                           "rules", "channel-2009", "sample", "distributors.csv")

COLUMNS = [
    "customer_id", "customer_name", "network", "market_tier", "local_rank",
    "gsm_monthly_units", "se_permission", "coolpad_coop_months",
    "coolpad_continuous_pickup", "coolpad_avg_monthly_units", "segment", "operator",
    "operator_role",
]
COL = {name: i for i, name in enumerate(COLUMNS)}

# (city, province, market tier). Tiers follow the usual 2009 market grading: T1 the four
# first-tier cities, T6 small prefecture-level cities.
CITIES = [
    ("北京", "北京", "T1"), ("上海", "上海", "T1"), ("广州", "广东", "T1"), ("深圳", "广东", "T1"),
    ("天津", "天津", "T2"), ("重庆", "重庆", "T2"), ("南京", "江苏", "T2"), ("杭州", "浙江", "T2"),
    ("武汉", "湖北", "T2"), ("成都", "四川", "T2"), ("西安", "陕西", "T2"), ("沈阳", "辽宁", "T2"),
    ("长沙", "湖南", "T3"), ("郑州", "河南", "T3"), ("济南", "山东", "T3"), ("青岛", "山东", "T3"),
    ("合肥", "安徽", "T3"), ("福州", "福建", "T3"), ("昆明", "云南", "T3"), ("南昌", "江西", "T3"),
    ("石家庄", "河北", "T3"), ("太原", "山西", "T3"), ("南宁", "广西", "T3"), ("苏州", "江苏", "T3"),
    ("宁波", "浙江", "T3"), ("大连", "辽宁", "T3"),
    ("温州", "浙江", "T4"), ("徐州", "江苏", "T4"), ("洛阳", "河南", "T4"), ("绵阳", "四川", "T4"),
    ("襄樊", "湖北", "T4"), ("芜湖", "安徽", "T4"), ("柳州", "广西", "T4"), ("泉州", "福建", "T4"),
    ("烟台", "山东", "T4"), ("株洲", "湖南", "T4"), ("赣州", "江西", "T4"), ("唐山", "河北", "T4"),
    ("宝鸡", "陕西", "T5"), ("九江", "江西", "T5"), ("岳阳", "湖南", "T5"), ("常德", "湖南", "T5"),
    ("曲靖", "云南", "T5"), ("南充", "四川", "T5"), ("荆州", "湖北", "T5"), ("安庆", "安徽", "T5"),
    ("邢台", "河北", "T5"), ("商丘", "河南", "T5"),
    ("邵阳", "湖南", "T6"), ("天水", "甘肃", "T6"), ("六安", "安徽", "T6"), ("玉林", "广西", "T6"),
    ("吉安", "江西", "T6"), ("汉中", "陕西", "T6"), ("达州", "四川", "T6"), ("周口", "河南", "T6"),
    ("宿州", "安徽", "T6"), ("河源", "广东", "T6"),
]
# Share of customers per tier (most distributors sit in T3-T5 markets).
TIER_SHARE = {"T1": 8, "T2": 14, "T3": 22, "T4": 24, "T5": 18, "T6": 14}

# Shop-name words. None of them, alone or next to a city or a suffix, forms a named-account
# alias (国美 GOME 苏宁 Suning 五星电器 大中电器 乐语 迪信通): the named accounts of the sample
# come only from FEATURE_ROWS below.
WORDS = [
    "鑫源", "金鹏", "宏达", "新时代", "联华", "百信", "万家", "龙翔", "富邦", "华讯", "恒信", "中天",
    "明珠", "汇通", "瑞丰", "东方", "永和", "兴业", "佳和", "顺发", "鸿运", "志诚", "通达", "广源",
    "益友", "海韵", "众诚", "新星", "金桥", "银河", "时代", "蓝天", "飞扬", "创新", "盛世", "优品",
    "星河", "智联", "博达", "嘉禾", "荣达", "凯旋", "长城", "和信", "亿家", "欣欣", "美佳", "永盛",
]
DISTRICTS = ["朝阳路", "解放路", "人民路", "中山路", "建设路", "新华路", "胜利路", "五一路",
             "步行街", "火车站", "开发区", "东门", "西街", "南湖", "北环"]
SURNAMES = ["张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙", "马", "朱"]
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
         "秀英", "华", "平", "刚", "桂英", "志强", "晓东"]
CARRIERS = ["顺丰速运", "申通快递", "中通快递", "圆通速递", "宅急送", "中国邮政EMS", "韵达快运"]

R_PATTERNS = [
    "{city}{word}通讯器材有限公司", "{city}市{word}数码通讯有限公司", "{city}{word}手机连锁",
    "{city}{word}通信设备有限公司{district}店", "{city}{word}手机卖场", "{city}{word}电器商行",
    "{city}{word}通讯{district}专卖店", "{province}{word}通信连锁有限公司{city}分公司",
]
W_PATTERNS = [
    "{city}{word}通讯批发部", "{city}{word}手机批发商行", "{city}{word}商贸有限公司",
    "{province}{word}通讯器材批发中心", "{city}{word}电子产品经营部",
]
S_PATTERNS = {
    "it_retailer": ["{city}百脑汇{word}电脑专营店", "{city}{word}数码广场{district}店",
                    "{city}{word}电脑城"],
    "it_supplier": ["{city}{word}电脑配件供应有限公司", "{city}{word}科技发展有限公司"],
    "tv_shopping": ["{city}{word}电视购物有限公司", "{province}{word}家庭购物频道"],
    "tv_shopping_platform": ["{city}{word}电视购物供应链有限公司", "{city}{word}商品供应平台"],
    "individual": ["个人客户-{person}", "个人购机-{person}"],
    "promoter_claim": ["促销员丢机理赔-{person}", "{city}促销员理赔-{person}"],
    "logistics_claim": ["{carrier}{city}分公司理赔", "{carrier}物流理赔"],
    "online": ["{word}网上商城", "淘宝网{word}数码专营店", "{city}{word}网购中心"],
    "group_buy": ["{city}{word}团购网", "{city}{word}企业团购部"],
    "other": ["{city}{word}礼品有限公司", "{city}{word}积分兑换中心"],
}
SEGMENTS = list(S_PATTERNS)
SEGMENT_WEIGHTS = [15, 8, 10, 5, 12, 6, 6, 14, 10, 6]
SEGMENT_EMPTY = 0.08

# O network (operator, role): name patterns. The last entries are pairs that fit no class of
# the contract's table (UNCLASSIFIED), kept rare.
O_PAIRS = [
    ("CMCC", "province_company", 2, "中国移动通信集团{province}有限公司"),
    ("CMCC", "city_company", 5, "中国移动通信集团{province}有限公司{city}分公司"),
    ("CMCC", "business_hall", 10, "中国移动{city}{district}营业厅"),
    ("CMCC", "product_platform", 3, "{province}{word}通信技术有限公司(移动定制终端省级平台)"),
    ("CMCC", "regional_platform", 3, "{province}{word}移动终端服务有限公司"),
    ("CMCC", "city_platform", 5, "{city}{word}移动终端配送中心"),
    ("CMCC", "fund_platform", 2, "{city}{word}投资有限公司"),
    ("CMCC", "key_account", 3, "中国移动{city}分公司集团客户部"),
    ("CMCC", "procurement_platform", 2, "{city}{word}集采服务有限公司"),
    ("CMCC", "partner_retailer", 8, "{city}{word}通讯(移动合作厅)"),
    ("CU", "province_company", 1, "中国联合网络通信有限公司{province}省分公司"),
    ("CU", "city_company", 3, "中国联合网络通信有限公司{city}市分公司"),
    ("CU", "business_hall", 6, "中国联通{city}{district}营业厅"),
    ("CU", "key_account", 2, "中国联通{city}分公司个人客户部"),
    ("CU", "service_platform", 3, "{city}{word}联通终端服务平台"),
    ("CU", "fund_platform", 1, "{city}{word}实业有限公司"),
    ("CU", "procurement_platform", 1, "{city}{word}采购服务有限公司"),
    ("CU", "contractor", 4, "{city}{word}联通营业厅承包部"),
    ("CT", "province_company", 1, "中国电信股份有限公司{province}分公司"),
    ("CT", "city_company", 2, "中国电信股份有限公司{city}分公司"),
    ("CT", "business_hall", 4, "中国电信{city}{district}营业厅"),
    ("CT", "", 2, "中国电信{city}{word}代理点"),
    ("CMCC", "contractor", 1, "{city}{word}移动营业厅承包部"),
    ("CU", "product_platform", 1, "{province}{word}联通定制机平台"),
    ("", "partner_retailer", 1, "{city}{word}通讯合作厅"),
]

NETWORKS = ["R", "W", "S", "O"]
NETWORK_WEIGHTS = [62, 12, 11, 15]
PICKUP_TRUE = ["true", "1", "是", "Y"]
PICKUP_FALSE = ["false", "0", "否", "N"]
PICKUP_FORM_WEIGHTS = [40, 20, 25, 15]
SE_PERMISSIONS = ["DRA", "DSA", "KRA", "MRA", ""]
SE_PERMISSION_WEIGHTS = [40, 25, 6, 4, 25]
TIER_FACTOR = {"T1": 1.6, "T2": 1.3, "T3": 1.0, "T4": 0.8, "T5": 0.6, "T6": 0.5, "": 0.8}

# Hand-written rows that the sample must show: named accounts in every alias form, names
# that need CSV quoting, boundary values, padded cells, every S segment and every O pair.
# Each is a dict of column -> cell; unnamed columns are empty. They are spread over the
# output at seeded positions (all of them whenever --rows is at least their number, none
# below that).
FEATURE_ROWS = [
    # Named accounts (国美 苏宁 五星 大中 乐语 迪信通), incl. Latin, lower-case and
    # full-width forms, a line break and a comma in the name.
    dict(customer_name="国美电器有限公司北京分公司", network="R", market_tier="T1",
         local_rank="1", gsm_monthly_units="3260", se_permission="DRA",
         coolpad_coop_months="14", coolpad_continuous_pickup="true",
         coolpad_avg_monthly_units="86.5"),
    dict(customer_name="北京国美电器有限公司朝阳路店", network="R", market_tier="T1",
         local_rank="4", gsm_monthly_units="820", se_permission="DRA"),
    dict(customer_name="GOME Electrical Appliances (Tianjin) Co. Ltd", network="R",
         market_tier="T2", local_rank="2", gsm_monthly_units="1530", se_permission="DRA"),
    dict(customer_name="ＧＯＭＥ电器天津和平路店", network="R", market_tier="T2",
         local_rank="6", gsm_monthly_units="410"),
    dict(customer_name="国美电器有限公司\n上海分公司", network="R", market_tier="T1",
         local_rank="1", gsm_monthly_units="2980", se_permission="DRA",
         coolpad_coop_months="9", coolpad_continuous_pickup="是",
         coolpad_avg_monthly_units="42"),
    dict(customer_name="苏宁电器股份有限公司南京分公司", network="R", market_tier="T2",
         local_rank="1", gsm_monthly_units="2750", se_permission="DRA",
         coolpad_coop_months="11", coolpad_continuous_pickup="Y",
         coolpad_avg_monthly_units="51.25"),
    dict(customer_name="苏宁易购电子商务有限公司", network="S", segment="online"),
    dict(customer_name="Suning Appliance Co., Ltd. Wuxi Branch", network="R",
         market_tier="T3", local_rank="1", gsm_monthly_units="1320", se_permission="DSA"),
    dict(customer_name="suning appliance chain store (hefei)", network="R", market_tier="T3",
         local_rank="2", gsm_monthly_units="960"),
    dict(customer_name="江苏五星电器有限公司南通分公司", network="R", market_tier="T4",
         local_rank="1", gsm_monthly_units="1180", se_permission="DRA"),
    dict(customer_name="五星电器扬州文昌店", network="R", market_tier="T4", local_rank="3",
         gsm_monthly_units="540"),
    dict(customer_name="上海大中电器有限公司", network="R", market_tier="T1", local_rank="5",
         gsm_monthly_units="1400", se_permission="DRA"),
    dict(customer_name="北京大中电器有限公司批发部", network="W", market_tier="T1"),
    dict(customer_name="乐语通讯连锁(上海)有限公司", network="R", market_tier="T1",
         local_rank="3", gsm_monthly_units="1750", se_permission="DRA",
         coolpad_coop_months="6", coolpad_continuous_pickup="1",
         coolpad_avg_monthly_units="23.4"),
    dict(customer_name="乐语通讯移动合作厅(徐汇)", network="O", market_tier="T1",
         operator="CMCC", operator_role="partner_retailer"),
    dict(customer_name="北京迪信通商贸股份有限公司", network="R", market_tier="T1",
         local_rank="2", gsm_monthly_units="2210", se_permission="DRA"),
    dict(customer_name="迪信通,天津南开店", network="R", market_tier="T2", local_rank="7",
         gsm_monthly_units="380"),
    # A name holding two accounts' names: the first in the standard's order (国美) wins.
    dict(customer_name="苏宁国美联合采购中心", network="R", market_tier="T3", local_rank="2",
         gsm_monthly_units="700"),
    # Look-alikes that are NOT named accounts (五星 without 电器, 大中 without 电器).
    dict(customer_name="五星通讯器材商行", network="R", market_tier="T5", local_rank="1",
         gsm_monthly_units="520", se_permission="DRA"),
    dict(customer_name="大中华手机城", network="R", market_tier="T4", local_rank="2",
         gsm_monthly_units="505"),
    # Quotes, commas, line breaks and surrounding spaces in ordinary names.
    dict(customer_name='长沙"新概念"通讯器材有限公司', network="R", market_tier="T3",
         local_rank="3", gsm_monthly_units="500", se_permission="DRA"),
    dict(customer_name="深圳华强北,赛格通讯市场3楼A08", network="W", market_tier="T1",
         gsm_monthly_units="5200"),
    dict(customer_name="广州天河电脑城\nB座208数码通讯", network="S", market_tier="T1",
         segment="it_retailer"),
    dict(customer_name="  华强通讯器材行  ", network="R", market_tier="T4", local_rank="4",
         gsm_monthly_units="230"),
    # Volume, rank and tier boundaries of DKA; missing tier and rank; padded cells.
    dict(customer_name="郑州中天通讯器材有限公司", network="R", market_tier="T3",
         local_rank="3", gsm_monthly_units="499", se_permission="DSA"),
    dict(customer_name="洛阳金鹏手机连锁", network="R", market_tier="T4", local_rank="2",
         gsm_monthly_units="500"),
    dict(customer_name="徐州恒信通讯器材有限公司", network="R", market_tier="T4",
         local_rank="3", gsm_monthly_units="650"),
    dict(customer_name="宝鸡汇通手机卖场", network="R", market_tier="T5", local_rank="1",
         gsm_monthly_units="501", se_permission="DRA"),
    dict(customer_name="天水永和通讯器材有限公司", network="R", market_tier="T6",
         local_rank="2", gsm_monthly_units="760"),
    dict(customer_name="长沙新星通讯器材有限公司", network="R", local_rank="1",
         gsm_monthly_units="880", se_permission="DRA"),
    dict(customer_name="合肥博达手机连锁", network="R", market_tier="T3",
         gsm_monthly_units="720"),
    dict(customer_name="南昌佳和通讯器材有限公司", network=" R ", market_tier="T3  ",
         local_rank=" 2", gsm_monthly_units="0610 ", se_permission=" DRA"),
    # Coolpad boundaries: months 2/3, units 4.99/5, 4.9999999999999999, pickup forms.
    dict(customer_name="株洲通达通讯器材有限公司", network="R", market_tier="T4",
         local_rank="5", gsm_monthly_units="150", coolpad_coop_months="3",
         coolpad_continuous_pickup="true", coolpad_avg_monthly_units="5"),
    dict(customer_name="赣州瑞丰手机连锁", network="R", market_tier="T4", local_rank="6",
         gsm_monthly_units="120", coolpad_coop_months="2", coolpad_continuous_pickup="是",
         coolpad_avg_monthly_units="12.5"),
    dict(customer_name="岳阳广源通讯器材有限公司", network="R", market_tier="T5",
         local_rank="3", gsm_monthly_units="90", coolpad_coop_months="8",
         coolpad_continuous_pickup="Y", coolpad_avg_monthly_units="4.99"),
    dict(customer_name="常德益友手机卖场", network="R", market_tier="T5", local_rank="2",
         gsm_monthly_units="140", coolpad_coop_months="5", coolpad_continuous_pickup="1",
         coolpad_avg_monthly_units="4.9999999999999999"),
    dict(customer_name="邵阳海韵通讯器材有限公司", network="R", market_tier="T6",
         local_rank="1", gsm_monthly_units="310", coolpad_coop_months="12",
         coolpad_continuous_pickup="否", coolpad_avg_monthly_units="9.5"),
    dict(customer_name="六安众诚手机连锁", network="R", market_tier="T6", local_rank="3",
         gsm_monthly_units="75", coolpad_coop_months="4", coolpad_continuous_pickup="N",
         coolpad_avg_monthly_units="6"),
    dict(customer_name="玉林金桥通讯器材有限公司", network="R", market_tier="T6",
         local_rank="2", gsm_monthly_units="60", coolpad_coop_months="03",
         coolpad_continuous_pickup="0", coolpad_avg_monthly_units="5.00"),
    dict(customer_name="吉安银河手机卖场", network="R", market_tier="T6", local_rank="4",
         gsm_monthly_units="45", coolpad_coop_months="6",
         coolpad_avg_monthly_units="7.2"),
    # Every S segment, and an S row without a segment.
    dict(customer_name="上海百脑汇鸿运电脑专营店", network="S", market_tier="T1",
         segment="it_retailer"),
    dict(customer_name="杭州智联科技发展有限公司", network="S", market_tier="T2",
         segment="it_supplier"),
    dict(customer_name="长沙快乐家电视购物有限公司", network="S", market_tier="T3",
         segment="tv_shopping"),
    dict(customer_name="上海东方电视购物供应链有限公司", network="S", market_tier="T1",
         segment="tv_shopping_platform"),
    dict(customer_name="个人客户-王建国", network="S", segment="individual"),
    dict(customer_name="促销员丢机理赔-李娜", network="S", segment="promoter_claim"),
    dict(customer_name="顺丰速运武汉分公司理赔", network="S", segment="logistics_claim"),
    dict(customer_name="京华网上商城", network="S", segment="online"),
    dict(customer_name="成都盛世企业团购部", network="S", market_tier="T2",
         segment="group_buy"),
    dict(customer_name="南京嘉禾积分兑换中心", network="S", market_tier="T2", segment="other"),
    dict(customer_name="温州飞扬数码贸易有限公司", network="S", market_tier="T4"),
    # Every O pair of the contract's table, CT without a role, pairs that fit no class and
    # an O row without an operator.
    dict(customer_name="中国移动通信集团湖南有限公司", network="O", market_tier="T3",
         operator="CMCC", operator_role="province_company"),
    dict(customer_name="中国移动通信集团江苏有限公司徐州分公司", network="O",
         market_tier="T4", operator="CMCC", operator_role="city_company"),
    dict(customer_name="中国移动北京西单营业厅", network="O", market_tier="T1",
         operator="CMCC", operator_role="business_hall"),
    dict(customer_name="广东天音通信技术有限公司(移动定制终端省级平台)", network="O",
         market_tier="T1", operator="CMCC", operator_role="product_platform"),
    dict(customer_name="四川兴业移动终端服务有限公司", network="O", market_tier="T2",
         operator="CMCC", operator_role="regional_platform"),
    dict(customer_name="绵阳长城移动终端配送中心", network="O", market_tier="T4",
         operator="CMCC", operator_role="city_platform"),
    dict(customer_name="深圳荣达投资有限公司", network="O", market_tier="T1",
         operator="CMCC", operator_role="fund_platform"),
    dict(customer_name="中国移动济南分公司集团客户部", network="O", market_tier="T3",
         operator="CMCC", operator_role="key_account"),
    dict(customer_name="武汉凯旋集采服务有限公司", network="O", market_tier="T2",
         operator="CMCC", operator_role="procurement_platform"),
    dict(customer_name="昆明和信通讯(移动合作厅)", network="O", market_tier="T3",
         operator="CMCC", operator_role="partner_retailer"),
    dict(customer_name="中国联合网络通信有限公司河南省分公司", network="O", market_tier="T3",
         operator="CU", operator_role="province_company"),
    dict(customer_name="中国联合网络通信有限公司青岛市分公司", network="O", market_tier="T3",
         operator="CU", operator_role="city_company"),
    dict(customer_name="中国联通广州天河营业厅", network="O", market_tier="T1",
         operator="CU", operator_role="business_hall"),
    dict(customer_name="中国联通沈阳分公司个人客户部", network="O", market_tier="T2",
         operator="CU", operator_role="key_account"),
    dict(customer_name="西安亿家联通终端服务平台", network="O", market_tier="T2",
         operator="CU", operator_role="service_platform"),
    dict(customer_name="福州优品实业有限公司", network="O", market_tier="T3",
         operator="CU", operator_role="fund_platform"),
    dict(customer_name="大连星河采购服务有限公司", network="O", market_tier="T3",
         operator="CU", operator_role="procurement_platform"),
    dict(customer_name="南宁美佳联通营业厅承包部", network="O", market_tier="T3",
         operator="CU", operator_role="contractor"),
    dict(customer_name="中国电信股份有限公司上海分公司", network="O", market_tier="T1",
         operator="CT", operator_role="city_company"),
    dict(customer_name="中国电信重庆解放碑营业厅", network="O", market_tier="T2",
         operator="CT", operator_role="business_hall"),
    dict(customer_name="中国电信商丘万家代理点", network="O", market_tier="T5",
         operator="CT"),
    dict(customer_name="荆州时代移动营业厅承包部", network="O", market_tier="T5",
         operator="CMCC", operator_role="contractor"),
    dict(customer_name="泉州新时代联通合作厅", network="O", market_tier="T4",
         operator="CU", operator_role="partner_retailer"),
    dict(customer_name="中国移动通信集团安徽有限公司宿州分公司", network="O",
         market_tier="T6", operator="CMCC"),
    dict(customer_name="曲靖东方通讯合作厅", network="O", market_tier="T5"),
]


def _cumulative(weights):
    total = float(sum(weights))
    acc, out = 0.0, []
    for w in weights:
        acc += w
        out.append(acc / total)
    out[-1] = 1.0
    return out


def _picker(rng, items, weights):
    """A fast weighted choice: a closure over cumulative weights (deterministic)."""
    cum = _cumulative(weights)
    rand = rng.random
    n = len(items)

    def pick():
        x = rand()
        lo, hi = 0, n - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if x < cum[mid]:
                hi = mid
            else:
                lo = mid + 1
        return items[lo]

    return pick


class Generator:
    def __init__(self, seed):
        self.rng = rng = random.Random(seed)
        self.r = rng.random
        per_tier = {}
        for _, _, tier in CITIES:
            per_tier[tier] = per_tier.get(tier, 0) + 1
        self.pick_city = _picker(rng, CITIES,
                                 [TIER_SHARE[t] / per_tier[t] for _, _, t in CITIES])
        self.pick_network = _picker(rng, NETWORKS, NETWORK_WEIGHTS)
        self.pick_rank = _picker(rng, list(range(1, 13)),
                                 [18, 15, 14, 11, 9, 8, 7, 6, 4, 3, 3, 2])
        self.pick_se = _picker(rng, SE_PERMISSIONS, SE_PERMISSION_WEIGHTS)
        self.pick_segment = _picker(rng, SEGMENTS, SEGMENT_WEIGHTS)
        self.pick_o = _picker(rng, O_PAIRS, [p[2] for p in O_PAIRS])
        self.pick_form = _picker(rng, list(range(4)), PICKUP_FORM_WEIGHTS)
        self.next_id = 100

    def one(self, pool):
        return pool[int(self.r() * len(pool))]

    def fill(self, pattern, city, province):
        return pattern.format(
            city=city, province=province, word=self.one(WORDS),
            district=self.one(DISTRICTS), carrier=self.one(CARRIERS),
            person=self.one(SURNAMES) + self.one(GIVEN))

    def units(self, tier, rank):
        """GSM monthly units: larger for top-ranked retailers and larger markets, and
        often close to the 500-unit DKA threshold."""
        r = self.r()
        if r < 0.06:
            return str(495 + int(self.r() * 11))  # 495..505
        base = 900 if rank == 1 else 520 if rank in (2, 3) else 260
        value = self.rng.lognormvariate(0.0, 0.55) * base * TIER_FACTOR[tier]
        return str(int(value))

    def coolpad(self, row):
        r = self.r
        if r() < 0.45:
            return
        x = r()
        months = (int(r() * 3) + 2) if x < 0.45 else int(r() * 30)
        row[COL["coolpad_coop_months"]] = str(months)
        if r() > 0.05:
            picks = r() < 0.7
            form = self.pick_form()
            row[COL["coolpad_continuous_pickup"]] = (PICKUP_TRUE if picks else PICKUP_FALSE)[form]
        if r() > 0.05:
            y = r()
            if y < 0.5:  # around the 5-unit threshold
                v = 3.5 + r() * 3.0
                text = "%.2f" % v
            elif y < 0.6:
                text = self.one(["5", "5.0", "5.00", "4.99", "4", "6", "4.5"])
            else:
                text = "%.1f" % (6 + r() * 40)
            row[COL["coolpad_avg_monthly_units"]] = text

    def random_row(self):
        r = self.r
        row = [""] * 13
        city, province, tier = self.pick_city()
        network = self.pick_network()
        row[COL["network"]] = network
        if network == "R":
            row[COL["customer_name"]] = self.fill(self.one(R_PATTERNS), city, province)
            t = tier if r() > 0.03 else ""
            row[COL["market_tier"]] = t
            rank = self.pick_rank()
            row[COL["local_rank"]] = str(rank) if r() > 0.03 else ""
            row[COL["gsm_monthly_units"]] = self.units(t, rank) if r() > 0.05 else ""
            row[COL["se_permission"]] = self.pick_se()
            self.coolpad(row)
        elif network == "W":
            row[COL["customer_name"]] = self.fill(self.one(W_PATTERNS), city, province)
            if r() < 0.8:
                row[COL["market_tier"]] = tier
            if r() < 0.3:
                row[COL["local_rank"]] = str(self.pick_rank())
            if r() < 0.5:
                row[COL["gsm_monthly_units"]] = str(int(300 + r() * 6000))
            if r() < 0.15:
                row[COL["se_permission"]] = self.one(["DSA", "DRA"])
        elif network == "S":
            segment = self.pick_segment()
            row[COL["customer_name"]] = self.fill(self.one(S_PATTERNS[segment]), city, province)
            row[COL["segment"]] = "" if r() < SEGMENT_EMPTY else segment
            if r() < 0.5:
                row[COL["market_tier"]] = tier
        else:
            operator, role, _, pattern = self.pick_o()
            row[COL["customer_name"]] = self.fill(pattern, city, province)
            row[COL["operator"]] = operator
            row[COL["operator_role"]] = role
            if r() < 0.6:
                row[COL["market_tier"]] = tier
        return row

    def rows(self, n):
        """Yields n rows; all the feature rows at seeded positions when n is at least their
        number, else random rows only."""
        k = len(FEATURE_ROWS) if n >= len(FEATURE_ROWS) else 0
        positions = self.rng.sample(range(n), k)
        at = dict(zip(positions, FEATURE_ROWS))
        r = self.r
        for i in range(n):
            feature = at.get(i)
            if feature is None:
                row = self.random_row()
            else:
                row = [""] * 13
                for key, value in feature.items():
                    row[COL[key]] = value
            self.next_id += 1 if r() < 0.7 else 2 + int(r() * 4)
            row[0] = "C%06d" % self.next_id
            yield row


def write(out, n, seed):
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    batch = []
    for row in Generator(seed).rows(n):
        batch.append(row)
        if len(batch) >= 10000:
            writer.writerows(batch)
            batch.clear()
    writer.writerows(batch)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, help="number of rows (default: write the sample)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--out", help="output file ('-' for stdout)")
    args = parser.parse_args(argv)
    if args.rows is not None and args.rows < 0:
        parser.error("--rows must be >= 0")
    n = DEFAULT_ROWS if args.rows is None else args.rows
    out_path = args.out or ("-" if args.rows is not None else DEFAULT_OUT)
    if out_path == "-":
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="",
                               write_through=False)
        try:
            write(out, n, args.seed)
            out.flush()
        except BrokenPipeError:
            # A reader such as `head` closed the pipe: not an error for a generator.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            out.detach()
        return 0
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w", encoding="utf-8", newline="") as out:
        write(out, n, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
