{#- Engine-specific SQL behind one name each, so models stay portable. -#}

{% macro to_reporting_time(column) %}
    {#- A UTC timestamp as wall-clock time in var('reporting_timezone'). -#}
    {{ return(support_kpi.from_utc(column, var('reporting_timezone'))) }}
{% endmacro %}

{% macro from_utc(column, timezone) %}
    {#- A UTC timestamp as wall-clock time in a named time zone. -#}
    {{ return(adapter.dispatch('from_utc', 'support_kpi')(column, timezone)) }}
{% endmacro %}

{% macro default__from_utc(column, timezone) %}
    {%- if timezone | upper == 'UTC' -%}
        {{ column }}
    {%- else -%}
        cast((({{ column }}) at time zone 'UTC') at time zone '{{ timezone }}' as {{ dbt.type_timestamp() }})
    {%- endif -%}
{% endmacro %}

{% macro to_reporting_date(column) %}
    cast({{ support_kpi.to_reporting_time(column) }} as date)
{% endmacro %}

{% macro percentile(column, fraction) %}
    {#- Continuous (interpolated) percentile, as percentile_cont computes it. -#}
    {{ return(adapter.dispatch('percentile', 'support_kpi')(column, fraction)) }}
{% endmacro %}

{% macro default__percentile(column, fraction) %}
    percentile_cont({{ fraction }}) within group (order by {{ column }})
{% endmacro %}

{% macro duckdb__percentile(column, fraction) %}
    quantile_cont({{ column }}, {{ fraction }})
{% endmacro %}

{% macro pseudonymize(column) %}
    {#- A salted one-way key for a normalised identifier (an e-mail). The salt
        is var('customer_id_salt'); changing it changes every key. -#}
    {{ return(adapter.dispatch('pseudonymize', 'support_kpi')(column, var('customer_id_salt'))) }}
{% endmacro %}

{% macro duckdb__pseudonymize(column, salt) %}
    case
        when {{ column }} is not null
            then left(sha256('{{ salt | replace("'", "''") }}' || {{ column }}), 32)
    end
{% endmacro %}

{% macro minutes_between(start_column, end_column) %}
    {#- Elapsed minutes, with seconds as the fraction. -#}
    (cast({{ dbt.datediff(start_column, end_column, 'second') }} as {{ support_kpi.type_double() }}) / 60)
{% endmacro %}

{% macro add_days(days, column) %}
    cast({{ dbt.dateadd('day', days, column) }} as date)
{% endmacro %}

{% macro period_start(grain, date_column) %}
    cast({{ dbt.date_trunc(grain, date_column) }} as date)
{% endmacro %}

{% macro integer_series(digits=5) %}
    {#- The integers 0 .. 10^digits - 1 as column `n`, from cross-joined
        digits: portable where generate_series is not. -#}
    with digits as (
        {%- for digit in range(10) %}
        select {{ digit }} as digit{% if not loop.last %} union all{% endif %}
        {%- endfor %}
    )
    select
        {%- for position in range(digits) %}
        {% if not loop.first %}+ {% endif %}d{{ position }}.digit * {{ 10 ** position }}
        {%- endfor %} as n
    from digits as d0
    {%- for position in range(1, digits) %}
    cross join digits as d{{ position }}
    {%- endfor %}
{% endmacro %}

{% macro period_start_for_grain(grain_column, date_column) %}
    {#- The start of the day, ISO week, month or quarter holding a date, for
        a grain held in a column. -#}
    case {{ grain_column }}
        when 'day' then {{ date_column }}
        when 'week' then {{ support_kpi.period_start('week', date_column) }}
        when 'month' then {{ support_kpi.period_start('month', date_column) }}
        when 'quarter' then {{ support_kpi.period_start('quarter', date_column) }}
    end
{% endmacro %}

{% macro type_double() %}
    {{ return(adapter.dispatch('type_double', 'support_kpi')()) }}
{% endmacro %}

{% macro default__type_double() %}double precision{% endmacro %}

{% macro duckdb__type_double() %}double{% endmacro %}

{% macro spark__type_double() %}double{% endmacro %}

{% macro period_grains_select(grains) %}
    {#- One row per period grain, as column period_grain. -#}
    {%- for grain in grains %}
    select '{{ grain }}' as period_grain
    {%- if not loop.last %}
    union all{% endif %}
    {%- endfor %}
{% endmacro %}

{% macro percent_where(condition, among='true') %}
    {#- Share of rows meeting a condition among rows meeting another, in
        percent; null when no row is among them. -#}
    100 * cast(sum(case when ({{ among }}) and ({{ condition }}) then 1 else 0 end) as {{ support_kpi.type_double() }})
    / nullif(sum(case when {{ among }} then 1 else 0 end), 0)
{% endmacro %}
