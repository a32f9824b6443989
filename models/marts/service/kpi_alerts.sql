{#- The KPIs of service_kpis an alert rule in seeds/alert_thresholds.csv may
    watch, each with the count its min_count guards. -#}
{%- set watched_kpis = [
    ('tickets', 'tickets'),
    ('mean_first_response_minutes', 'tickets'),
    ('median_first_response_minutes', 'tickets'),
    ('p90_first_response_minutes', 'tickets'),
    ('mean_response_minutes', 'tickets'),
    ('tickets_solved', 'tickets_solved'),
    ('mean_resolution_minutes', 'tickets_solved'),
    ('one_touch_resolution_pct', 'tickets'),
    ('first_contact_resolution_pct', 'tickets'),
    ('self_service_pct', 'tickets'),
    ('abandonment_pct', 'tickets'),
    ('escalation_pct', 'tickets'),
    ('repeat_contact_pct', 'tickets'),
    ('csat_pct', 'csat_responses'),
    ('csat_mean_score', 'csat_responses'),
    ('nps', 'nps_responses'),
] %}
{#- Changes this close to a threshold count as equal to it, so that floating
    point noise (1.5000000000000002) does not decide whether an alert fires. -#}
{%- set tolerance = '0.000000001' %}

{#- A number as text with one or two decimals, for the message; @ stands
    for the column. -#}
{%- set one_decimal = 'cast(cast(@ as decimal(38, 1)) as ' ~ dbt.type_string() ~ ')' %}
{%- set two_decimals = 'cast(cast(@ as decimal(38, 2)) as ' ~ dbt.type_string() ~ ')' %}

with

service_kpis as (
    select * from {{ ref('service_kpis') }}
),

retention as (
    select * from {{ ref('retention') }}
),

tickets as (
    select
        channel,
        created_at,
        first_response_minutes
    from {{ ref('fct_tickets') }}
),

periods as (
    select * from {{ ref('int_reporting_periods') }}
),

thresholds as (
    select * from {{ ref('alert_thresholds') }}
),

{# Long form: one row per period, channel and watched KPI. -#}
kpi_values as (
    {%- for kpi, observations in watched_kpis %}
        select
            period_grain,
            period_start,
            channel,
            '{{ kpi }}' as kpi,
            cast({{ kpi }} as {{ type_double() }}) as kpi_value,
            {{ observations }} as observations
        from service_kpis
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

{# Each period with the one of the same grain ending the day before it
    starts. A period whose predecessor has no figures is compared with
    nothing: the previous row that happens to exist is not its predecessor. -#}
period_pairs as (
    select
        periods.period_grain,
        periods.period_start,
        previous_periods.period_start as previous_period_start
    from periods
    inner join periods as previous_periods
        on
            periods.period_grain = previous_periods.period_grain
            and {{ add_days(-1, 'periods.period_start') }} = previous_periods.period_end
),

period_comparisons as (
    select
        current_values.period_grain,
        current_values.period_start,
        current_values.channel,
        current_values.kpi,
        period_pairs.previous_period_start,
        previous_values.kpi_value as previous_value,
        current_values.kpi_value as current_value,
        previous_values.observations as previous_observations,
        current_values.observations as current_observations
    from kpi_values as current_values
    inner join period_pairs
        on
            current_values.period_grain = period_pairs.period_grain
            and current_values.period_start = period_pairs.period_start
    inner join kpi_values as previous_values
        on
            period_pairs.period_grain = previous_values.period_grain
            and period_pairs.previous_period_start = previous_values.period_start
            and current_values.channel = previous_values.channel
            and current_values.kpi = previous_values.kpi
),

{# The customer base (customers active at the period's end) now and in the
    previous period, for the rules that watch its growth. -#}
customer_bases as (
    select
        period_pairs.period_grain,
        period_pairs.period_start,
        previous_retention.customers_end as previous_customers,
        current_retention.customers_end as current_customers
    from period_pairs
    inner join retention as current_retention
        on
            period_pairs.period_grain = current_retention.period_grain
            and period_pairs.period_start = current_retention.period_start
    inner join retention as previous_retention
        on
            period_pairs.period_grain = previous_retention.period_grain
            and period_pairs.previous_period_start = previous_retention.period_start
),

{# measured_change is in the threshold's unit: % drop for relative_drop,
    points fallen for absolute_drop, current / previous for ratio_rise,
    points fallen for fall_while_customer_base_grew (null unless the
    customer base grew). -#}
period_rule_changes as (
    select
        thresholds.rule,
        thresholds.kpi,
        thresholds.comparison,
        thresholds.severity,
        thresholds.threshold,
        thresholds.is_threshold_inclusive,
        thresholds.min_count,
        thresholds.description,
        period_comparisons.period_grain,
        period_comparisons.period_start,
        period_comparisons.channel,
        cast(null as {{ dbt.type_int() }}) as hour_of_day,
        period_comparisons.previous_period_start,
        period_comparisons.previous_value,
        period_comparisons.current_value,
        period_comparisons.previous_observations,
        period_comparisons.current_observations,
        customer_bases.previous_customers,
        customer_bases.current_customers,
        case thresholds.comparison
            when 'relative_drop'
                then
                    100 * (period_comparisons.previous_value - period_comparisons.current_value)
                    / nullif(abs(period_comparisons.previous_value), 0)
            when 'absolute_drop'
                then period_comparisons.previous_value - period_comparisons.current_value
            when 'ratio_rise'
                then
                    case
                        when period_comparisons.previous_value > 0
                            then
                                period_comparisons.current_value
                                / period_comparisons.previous_value
                    end
            when 'fall_while_customer_base_grew'
                then
                    case
                        when customer_bases.current_customers > customer_bases.previous_customers
                            then
                                period_comparisons.previous_value
                                - period_comparisons.current_value
                    end
        end as measured_change
    from thresholds
    inner join period_comparisons
        on
            thresholds.kpi = period_comparisons.kpi
            and thresholds.period_grain = period_comparisons.period_grain
    left join customer_bases
        on
            period_comparisons.period_grain = customer_bases.period_grain
            and period_comparisons.period_start = customer_bases.period_start
    where
        thresholds.comparison in (
            'relative_drop', 'absolute_drop', 'ratio_rise', 'fall_while_customer_base_grew'
        )
),

{# Answered tickets by the hour of day they were created, per channel and
    for 'all', in the reporting time zone. -#}
answered_by_hour as (
    select
        {{ to_reporting_date('created_at') }} as period_start,
        cast(extract(hour from {{ to_reporting_time('created_at') }}) as {{ dbt.type_int() }})
            as hour_of_day,
        channel,
        first_response_minutes
    from tickets
    where first_response_minutes is not null
),

hourly_medians as (
    select
        period_start,
        hour_of_day,
        channel,
        {{ percentile('first_response_minutes', 0.5) }} as median_first_response_minutes,
        count(*) as answered_tickets
    from answered_by_hour
    group by period_start, hour_of_day, channel
    union all
    select
        period_start,
        hour_of_day,
        'all' as channel,
        {{ percentile('first_response_minutes', 0.5) }} as median_first_response_minutes,
        count(*) as answered_tickets
    from answered_by_hour
    group by period_start, hour_of_day
),

{# An hour against its whole day (service_kpis' daily median): previous_value
    is the day's median, current_value the hour's, measured_change their
    ratio. The day holds at least the hour's tickets, so min_count guards the
    hour. -#}
hourly_rule_changes as (
    select
        thresholds.rule,
        thresholds.kpi,
        thresholds.comparison,
        thresholds.severity,
        thresholds.threshold,
        thresholds.is_threshold_inclusive,
        thresholds.min_count,
        thresholds.description,
        daily_kpis.period_grain,
        daily_kpis.period_start,
        daily_kpis.channel,
        hourly_medians.hour_of_day,
        cast(null as date) as previous_period_start,
        daily_kpis.median_first_response_minutes as previous_value,
        hourly_medians.median_first_response_minutes as current_value,
        daily_kpis.tickets as previous_observations,
        hourly_medians.answered_tickets as current_observations,
        cast(null as {{ dbt.type_bigint() }}) as previous_customers,
        cast(null as {{ dbt.type_bigint() }}) as current_customers,
        case
            when daily_kpis.median_first_response_minutes > 0
                then
                    hourly_medians.median_first_response_minutes
                    / daily_kpis.median_first_response_minutes
        end as measured_change
    from thresholds
    inner join service_kpis as daily_kpis
        on thresholds.period_grain = daily_kpis.period_grain
    inner join hourly_medians
        on
            daily_kpis.period_start = hourly_medians.period_start
            and daily_kpis.channel = hourly_medians.channel
    where
        thresholds.comparison = 'hour_vs_day_ratio'
        and thresholds.kpi = 'median_first_response_minutes'
        and thresholds.period_grain = 'day'
),

rule_changes as (
    select * from period_rule_changes
    union all
    select * from hourly_rule_changes
),

fired as (
    select
        *,
        case severity when 'critical' then 2 when 'warning' then 1 else 0 end as severity_rank
    from rule_changes
    where
        current_observations >= min_count
        and previous_observations >= min_count
        and (
            (is_threshold_inclusive and measured_change >= threshold - {{ tolerance }})
            or (not is_threshold_inclusive and measured_change > threshold + {{ tolerance }})
        )
),

{# When a warning and a critical threshold both fire, the alert is critical. -#}
most_severe as (
    select
        *,
        row_number() over (
            partition by rule, period_grain, period_start, channel, hour_of_day
            order by severity_rank desc, threshold desc
        ) as severity_order
    from fired
),

latest_periods as (
    select
        period_grain,
        max(period_start) as period_start
    from periods
    where is_complete
    group by period_grain
),

alerts as (
    select
        most_severe.*,
        periods.is_complete as is_period_complete,
        coalesce(most_severe.period_start = latest_periods.period_start, false)
            as is_latest_period
    from most_severe
    inner join periods
        on
            most_severe.period_grain = periods.period_grain
            and most_severe.period_start = periods.period_start
    left join latest_periods
        on most_severe.period_grain = latest_periods.period_grain
    where most_severe.severity_order = 1
),

final as (
    select
        period_grain,
        period_start,
        channel,
        rule,
        kpi,
        severity,
        hour_of_day,
        previous_period_start,
        cast(previous_value as {{ type_double() }}) as previous_value,
        cast(current_value as {{ type_double() }}) as current_value,
        cast(measured_change as {{ type_double() }}) as change,  -- noqa: RF04
        cast(threshold as {{ type_double() }}) as threshold,
        is_period_complete,
        is_latest_period,
        severity || ': ' || description || ' - '
        || case when channel = 'all' then 'all channels' else 'channel ' || channel end
        || ', ' || period_grain || ' of ' || cast(period_start as {{ dbt.type_string() }})
        || case
            when hour_of_day is not null
                then
                    ', '
                    || case when hour_of_day < 10 then '0' else '' end
                    || cast(hour_of_day as {{ dbt.type_string() }}) || ':00 hour'
            else ''
        end
        || ': ' || kpi || ' ' || {{ one_decimal | replace('@', 'previous_value') }}
        || case when comparison = 'hour_vs_day_ratio' then ' for the day' else ' before' end
        || ', ' || {{ one_decimal | replace('@', 'current_value') }}
        || case when comparison = 'hour_vs_day_ratio' then ' in the hour' else ' now' end
        || ' ('
        || case comparison
            when 'relative_drop'
                then {{ one_decimal | replace('@', 'measured_change') }} || ' % lower'
            when 'absolute_drop'
                then {{ one_decimal | replace('@', 'measured_change') }} || ' points lower'
            when 'ratio_rise'
                then {{ two_decimals | replace('@', 'measured_change') }} || ' x'
            when 'hour_vs_day_ratio'
                then {{ two_decimals | replace('@', 'measured_change') }} || ' x'
            when 'fall_while_customer_base_grew'
                then
                    {{ one_decimal | replace('@', 'measured_change') }}
                    || ' points lower while customers grew from '
                    || cast(previous_customers as {{ dbt.type_string() }}) || ' to '
                    || cast(current_customers as {{ dbt.type_string() }})
        end
        || ')' as message
    from alerts
)

select * from final
