{%- set scorecard = var('scorecard_kpis') %}
{%- set kpis = [] %}
{%- for kpi in scorecard.service_kpis %}
    {%- do kpis.append(('service_kpis', kpi, 'channel')) %}
{%- endfor %}
{%- for kpi in scorecard.retention %}
    {%- do kpis.append(('retention', kpi, "'all'")) %}
{%- endfor %}

with

service_kpis as (
    select * from {{ ref('service_kpis') }}
),

retention as (
    select * from {{ ref('retention') }}
),

targets as (
    select * from {{ ref('kpi_targets') }}
),

kpi_values as (
    {%- for relation, kpi, channel in kpis %}
        select
            period_grain,
            period_start,
            {{ channel }} as channel,
            '{{ kpi }}' as kpi,
            cast({{ kpi }} as {{ type_double() }}) as value
        from {{ relation }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

{# A target for the channel itself beats a target for every channel ('*'). #}
with_targets as (
    select
        kpi_values.period_grain,
        kpi_values.period_start,
        kpi_values.channel,
        kpi_values.kpi,
        kpi_values.value,
        coalesce(channel_targets.target_value, general_targets.target_value) as target,
        coalesce(channel_targets.comparison, general_targets.comparison) as comparison
    from kpi_values
    left join targets as channel_targets
        on
            kpi_values.kpi = channel_targets.kpi
            and kpi_values.channel = channel_targets.channel
    left join targets as general_targets
        on
            kpi_values.kpi = general_targets.kpi
            and general_targets.channel = '*'
),

compared as (
    select
        period_grain,
        period_start,
        channel,
        kpi,
        value,
        target,
        case
            when value is null or target is null then null
            when comparison = 'lt' then value < target
            when comparison = 'lte' then value <= target
            when comparison = 'gt' then value > target
            when comparison = 'gte' then value >= target
        end as meets_target,
        lag(value) over (
            partition by period_grain, channel, kpi
            order by period_start
        ) as previous_value
    from with_targets
),

final as (
    select
        period_grain,
        period_start,
        channel,
        kpi,
        cast(value as {{ type_double() }}) as value,
        cast(target as {{ type_double() }}) as target,
        meets_target,
        cast(previous_value as {{ type_double() }}) as previous_value,
        cast(
            100 * (value - previous_value) / nullif(abs(previous_value), 0)
            as {{ type_double() }}
        ) as change_pct
    from compared
)

select * from final
