-- The 2009 rule set (rules/channel-2009/ruleset.yaml) as one DuckDB query: read the export,
-- validate every cell as the contract says, reject bad rows and later duplicates of accepted
-- customer ids, classify the rest, keep input order. bench/duckdb/run.mjs materialises it
-- once and writes the accepted rows and the rejects with two COPY statements.
--
-- Placeholders filled in by run.mjs: {{INPUT}} {{SAMSUNG_LIST}} {{SE_LIST}}.
-- Limits (this is a benchmark peer, not a second implementation): records must have the
-- header's 13 fields (the benchmark's input has no syntax errors), and decimals are
-- compared through DECIMAL(38,18) (exact for up to 18 fractional digits).
CREATE TEMP TABLE checked AS
WITH raw AS (
  SELECT row_number() OVER () AS rn, *
  FROM read_csv({{INPUT}}, header = true, all_varchar = true, quote = '"', escape = '"',
                delim = ',', new_line = '\n', strict_mode = true, parallel = true)
),
lined AS (
  -- The physical line a record starts on: the header is line 1, and quoted names may hold
  -- line breaks.
  SELECT *,
         1 + rn + coalesce(sum(nl) OVER (ORDER BY rn ROWS BETWEEN UNBOUNDED PRECEDING
                                                            AND 1 PRECEDING), 0) AS line
  FROM (SELECT *,
               length(coalesce(customer_name, '')) -
                 length(replace(coalesce(customer_name, ''), chr(10), '')) AS nl
        FROM raw)
),
cells AS (
  -- Every cell but the name is trimmed of spaces and tabs; an empty cell is missing.
  SELECT *,
         nullif(trim(coalesce(customer_id, ''), E' \t'), '') AS v_id,
         nullif(coalesce(customer_name, ''), '') AS v_name,
         nullif(trim(coalesce(network, ''), E' \t'), '') AS v_network,
         nullif(trim(coalesce(market_tier, ''), E' \t'), '') AS v_tier,
         nullif(trim(coalesce(local_rank, ''), E' \t'), '') AS v_rank,
         nullif(trim(coalesce(gsm_monthly_units, ''), E' \t'), '') AS v_gsm,
         nullif(trim(coalesce(se_permission, ''), E' \t'), '') AS v_perm,
         nullif(trim(coalesce(coolpad_coop_months, ''), E' \t'), '') AS v_months,
         nullif(trim(coalesce(coolpad_continuous_pickup, ''), E' \t'), '') AS v_pickup,
         nullif(trim(coalesce(coolpad_avg_monthly_units, ''), E' \t'), '') AS v_avg,
         nullif(trim(coalesce(segment, ''), E' \t'), '') AS v_segment,
         nullif(trim(coalesce(operator, ''), E' \t'), '') AS v_operator,
         nullif(trim(coalesce(operator_role, ''), E' \t'), '') AS v_role
  FROM lined
),
validated AS MATERIALIZED (
  -- The first bad field in declaration order, then the first missing required field.
  SELECT *,
    CASE
      WHEN v_network IS NOT NULL AND v_network NOT IN ('S', 'W', 'R', 'O')
        THEN ['network', '''' || v_network || ''' is not one of: S W R O']
      WHEN v_tier IS NOT NULL AND v_tier NOT IN ('T1', 'T2', 'T3', 'T4', 'T5', 'T6')
        THEN ['market_tier', '''' || v_tier || ''' is not one of: T1 T2 T3 T4 T5 T6']
      WHEN v_rank IS NOT NULL AND NOT regexp_full_match(v_rank, '[0-9]+')
        THEN ['local_rank', '''' || v_rank || ''' is not an integer (ASCII digits only)']
      WHEN v_rank IS NOT NULL AND TRY_CAST(v_rank AS BIGINT) IS NULL
        THEN ['local_rank', '''' || v_rank || ''' is too large for an integer']
      WHEN v_rank IS NOT NULL AND TRY_CAST(v_rank AS BIGINT) < 1
        THEN ['local_rank', '''' || v_rank || ''' is below the minimum 1']
      WHEN v_gsm IS NOT NULL AND NOT regexp_full_match(v_gsm, '[0-9]+')
        THEN ['gsm_monthly_units', '''' || v_gsm || ''' is not an integer (ASCII digits only)']
      WHEN v_gsm IS NOT NULL AND TRY_CAST(v_gsm AS BIGINT) IS NULL
        THEN ['gsm_monthly_units', '''' || v_gsm || ''' is too large for an integer']
      WHEN v_months IS NOT NULL AND NOT regexp_full_match(v_months, '[0-9]+')
        THEN ['coolpad_coop_months', '''' || v_months || ''' is not an integer (ASCII digits only)']
      WHEN v_months IS NOT NULL AND TRY_CAST(v_months AS BIGINT) IS NULL
        THEN ['coolpad_coop_months', '''' || v_months || ''' is too large for an integer']
      WHEN v_pickup IS NOT NULL AND v_pickup NOT IN ('true', 'false', '1', '0', '是', '否', 'Y', 'N')
        THEN ['coolpad_continuous_pickup', '''' || v_pickup ||
              ''' is not a boolean (true false 1 0 Y N and the Chinese yes/no)']
      WHEN v_avg IS NOT NULL AND NOT regexp_full_match(v_avg, '[0-9]+(\.[0-9]+)?')
        THEN ['coolpad_avg_monthly_units', '''' || v_avg ||
              ''' is not a decimal number (digits with an optional .digits)']
      WHEN v_segment IS NOT NULL AND v_segment NOT IN ('it_retailer', 'it_supplier', 'tv_shopping',
             'tv_shopping_platform', 'individual', 'promoter_claim', 'logistics_claim', 'online',
             'group_buy', 'other')
        THEN ['segment', '''' || v_segment || ''' is not one of: it_retailer it_supplier ' ||
              'tv_shopping tv_shopping_platform individual promoter_claim logistics_claim ' ||
              'online group_buy other']
      WHEN v_operator IS NOT NULL AND v_operator NOT IN ('CMCC', 'CU', 'CT')
        THEN ['operator', '''' || v_operator || ''' is not one of: CMCC CU CT']
      WHEN v_role IS NOT NULL AND v_role NOT IN ('province_company', 'city_company',
             'business_hall', 'product_platform', 'regional_platform', 'city_platform',
             'service_platform', 'fund_platform', 'key_account', 'procurement_platform',
             'partner_retailer', 'contractor')
        THEN ['operator_role', '''' || v_role || ''' is not one of: province_company ' ||
              'city_company business_hall product_platform regional_platform city_platform ' ||
              'service_platform fund_platform key_account procurement_platform ' ||
              'partner_retailer contractor']
      WHEN v_id IS NULL THEN ['customer_id', 'a value is required']
      WHEN v_name IS NULL THEN ['customer_name', 'a value is required']
      WHEN v_network IS NULL THEN ['network', 'a value is required']
    END AS problem
  FROM cells
),
firsts AS (
  -- The first accepted row of each id (lines grow with rn). A grouped aggregate and a join:
  -- DuckDB runs them much faster than a window partitioned by a million ids.
  SELECT v_id AS first_id,
         min(rn) FILTER (WHERE problem IS NULL) AS first_ok_rn,
         min(line) FILTER (WHERE problem IS NULL) AS first_ok_line
  FROM validated WHERE v_id IS NOT NULL GROUP BY v_id
),
deduplicated AS (
  -- A later row reusing an id that an earlier row was accepted with is a duplicate (even
  -- when it is bad itself); rows before the first accepted one keep their own reason.
  SELECT validated.*, firsts.first_ok_rn, firsts.first_ok_line
  FROM validated LEFT JOIN firsts ON firsts.first_id = validated.v_id
),
judged AS (
  SELECT d.*,
         CASE
           WHEN d.v_id IS NOT NULL AND d.first_ok_rn < d.rn
             THEN ['customer_id', 'duplicate customer_id ''' || d.v_id ||
                   ''' (first accepted on line ' || d.first_ok_line || ')']
           ELSE d.problem
         END AS reject
  FROM deduplicated d
),
samsung AS (
  SELECT customer_id AS list_id,
         CASE WHEN bool_or(class = 'SKA') THEN 'SKA' WHEN bool_or(class = 'RKA') THEN 'RKA' END
           AS samsung_list
  FROM read_csv({{SAMSUNG_LIST}}, header = true, all_varchar = true)
  WHERE class IN ('SKA', 'RKA') GROUP BY customer_id
),
se AS (
  SELECT customer_id AS list_id,
         CASE WHEN bool_or(class = 'MRA') THEN 'MRA' WHEN bool_or(class = 'KRA') THEN 'KRA' END
           AS se_list
  FROM read_csv({{SE_LIST}}, header = true, all_varchar = true)
  WHERE class IN ('MRA', 'KRA') GROUP BY customer_id
),
typed AS (
  SELECT j.*, samsung.samsung_list, se.se_list,
         TRY_CAST(v_rank AS BIGINT) AS rank_n,
         TRY_CAST(v_gsm AS BIGINT) AS gsm_n,
         TRY_CAST(v_months AS BIGINT) AS months_n,
         v_pickup IN ('true', '1', '是', 'Y') AS pickup_b,
         TRY_CAST(v_avg AS DECIMAL(38, 18)) AS avg_n,
         -- Named accounts: the name contains an alias; Latin letters in any case, full-width
         -- forms too. The first account in the rule set's order wins.
         CASE
           WHEN contains(v_name, '国美') OR regexp_matches(v_name, '[GgＧｇ][OoＯｏ][MmＭｍ][EeＥｅ]')
             THEN '国美'
           WHEN contains(v_name, '苏宁') OR
                regexp_matches(v_name, '[SsＳｓ][UuＵｕ][NnＮｎ][IiＩｉ][NnＮｎ][GgＧｇ]')
             THEN '苏宁'
           WHEN contains(v_name, '五星电器') THEN '五星'
           WHEN contains(v_name, '大中电器') THEN '大中'
           WHEN contains(v_name, '乐语') THEN '乐语'
           WHEN contains(v_name, '迪信通') THEN '迪信通'
         END AS account
  FROM judged j
  LEFT JOIN samsung ON samsung.list_id = j.v_id AND j.reject IS NULL
  LEFT JOIN se ON se.list_id = j.v_id AND j.reject IS NULL
),
helpers AS (
  SELECT *,
    CASE
      WHEN v_segment IN ('it_retailer', 'it_supplier') THEN 'IT客户'
      WHEN v_segment IN ('tv_shopping', 'tv_shopping_platform') THEN '电视购物'
      WHEN v_segment IN ('individual', 'promoter_claim', 'logistics_claim') THEN '个人用户'
      ELSE '特殊渠道'
    END AS s_class,
    CASE
      WHEN v_operator = 'CMCC' AND v_role IN ('province_company', 'city_company', 'business_hall') THEN 'CMCC'
      WHEN v_operator = 'CMCC' AND v_role = 'product_platform' THEN 'CMPP'
      WHEN v_operator = 'CMCC' AND v_role = 'regional_platform' THEN 'CMAP'
      WHEN v_operator = 'CMCC' AND v_role = 'city_platform' THEN 'CMCP'
      WHEN v_operator = 'CMCC' AND v_role = 'fund_platform' THEN 'CMFP'
      WHEN v_operator = 'CMCC' AND v_role = 'key_account' THEN 'CMKA'
      WHEN v_operator = 'CMCC' AND v_role = 'procurement_platform' THEN 'CMVP'
      WHEN v_operator = 'CMCC' AND v_role = 'partner_retailer' THEN 'CMRP'
      WHEN v_operator = 'CU' AND v_role IN ('province_company', 'city_company', 'business_hall') THEN 'CU'
      WHEN v_operator = 'CU' AND v_role = 'key_account' THEN 'CUKA'
      WHEN v_operator = 'CU' AND v_role = 'service_platform' THEN 'CUSP'
      WHEN v_operator = 'CU' AND v_role = 'fund_platform' THEN 'CUFP'
      WHEN v_operator = 'CU' AND v_role = 'procurement_platform' THEN 'CUVP'
      WHEN v_operator = 'CU' AND v_role = 'contractor' THEN 'CURP'
      WHEN v_operator = 'CT' THEN 'CT'
      ELSE 'UNCLASSIFIED'
    END AS o_class
  FROM typed
),
samsung_classified AS (
  SELECT *,
    CASE
      WHEN v_network = 'S' THEN s_class
      WHEN v_network = 'O' THEN o_class
      WHEN v_network = 'W' THEN 'PENDING'
      WHEN account IS NOT NULL THEN account
      WHEN samsung_list = 'SKA' THEN 'SKA'
      WHEN samsung_list = 'RKA' THEN 'RKA'
      WHEN gsm_n >= 500 AND ((v_tier <= 'T3' AND rank_n <= 3) OR (v_tier = 'T4' AND rank_n <= 2)
                             OR (v_tier IN ('T5', 'T6') AND rank_n = 1)) THEN 'DKA'
      ELSE 'DSA'
    END AS samsung_class
  FROM helpers
)
SELECT rn, line, reject,
  customer_id, customer_name, network, market_tier, local_rank, gsm_monthly_units,
  se_permission, coolpad_coop_months, coolpad_continuous_pickup, coolpad_avg_monthly_units,
  segment, operator, operator_role,
  samsung_class,
  CASE
    WHEN v_network = 'S' THEN s_class
    WHEN v_network = 'O' THEN o_class
    WHEN v_network = 'W' THEN 'PENDING'
    WHEN account IS NOT NULL THEN account
    WHEN se_list = 'MRA' THEN 'MRA'
    WHEN se_list = 'KRA' THEN 'KRA'
    WHEN samsung_class IN ('SKA', 'RKA') AND v_perm = 'DRA' AND rank_n = 1 AND v_tier <= 'T4'
      THEN 'EKA'
    ELSE 'DSA'
  END AS se_class,
  CASE
    WHEN v_network = 'S' THEN s_class
    WHEN v_network = 'O' THEN o_class
    WHEN v_network = 'W' THEN 'NONE'
    WHEN account IS NOT NULL THEN account
    WHEN months_n >= 3 AND pickup_b AND avg_n >= 5 THEN 'IKA'
    ELSE 'DSA'
  END AS coolpad_class,
  CASE
    WHEN account IN ('国美', '苏宁', '五星', '大中') THEN 'GES'
    WHEN account IN ('乐语', '迪信通') THEN 'OTCS'
  END AS account_group,
  CASE
    WHEN v_network IN ('R', 'W') THEN 'traditional'
    WHEN v_network = 'S' THEN 'special'
    WHEN v_network = 'O' THEN 'operator'
  END AS channel_family
FROM samsung_classified;
