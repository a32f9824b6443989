{#- The business calendar: wall-clock time in var('business_timezone'),
    opening hours written as 'HH:MM', and business seconds read off the
    cumulative clock of int_business_clock_days. -#}

{% macro to_utc(column, timezone) %}
    {#- A wall-clock timestamp in a named time zone as a UTC timestamp;
        daylight-saving changes are the zone database's. -#}
    {{ return(adapter.dispatch('to_utc', 'support_kpi')(column, timezone)) }}
{% endmacro %}

{% macro default__to_utc(column, timezone) %}
    {%- if timezone | upper == 'UTC' -%}
        {{ column }}
    {%- else -%}
        cast((({{ column }}) at time zone '{{ timezone }}') at time zone 'UTC' as {{ dbt.type_timestamp() }})
    {%- endif -%}
{% endmacro %}

{% macro to_business_date(column) %}
    {#- The date of a UTC timestamp in var('business_timezone'). -#}
    cast({{ support_kpi.from_utc(column, var('business_timezone')) }} as date)
{% endmacro %}

{% macro iso_weekday(date_column) %}
    {#- Day of the week of a date, 1 = Monday … 7 = Sunday. -#}
    {{ return(adapter.dispatch('iso_weekday', 'support_kpi')(date_column)) }}
{% endmacro %}

{% macro default__iso_weekday(date_column) %}
    cast(extract(isodow from {{ date_column }}) as {{ dbt.type_int() }})
{% endmacro %}

{% macro clock_minutes(column) %}
    {#- Minutes after midnight of a clock time written 'HH:MM' ('24:00' is
        the end of the day). -#}
    (
        cast(substr({{ column }}, 1, 2) as {{ dbt.type_int() }}) * 60
        + cast(substr({{ column }}, 4, 2) as {{ dbt.type_int() }})
    )
{% endmacro %}

{% macro business_seconds_at(instant, clock) %}
    {#- Business seconds on the cumulative clock at an instant, given the
        int_business_clock_days row (alias `clock`) whose stretch holds it. -#}
    (
        {{ clock }}.seconds_before
        + case
            when {{ instant }} >= {{ clock }}.closed_at then {{ clock }}.open_seconds
            else {{ dbt.datediff(clock ~ '.opened_at', instant, 'second') }}
        end
    )
{% endmacro %}

{% macro business_clock_holds(instant, channel_group, clock) %}
    {#- Join condition: the int_business_clock_days row (alias `clock`) of a
        channel group whose stretch holds an instant. The equality on the
        UTC date keeps the join a hash join at any size. -#}
    {{ clock }}.channel_group = {{ channel_group }}
    and {{ clock }}.clock_date = cast({{ instant }} as date)
    and {{ instant }} >= {{ clock }}.opened_at
    and {{ instant }} < {{ clock }}.stretch_ends_at
{% endmacro %}

{% macro business_bucket(seconds) %}
    {#- The day-sized bucket of a position on the cumulative business clock,
        the equality key of int_business_clock_buckets. -#}
    cast(floor(({{ seconds }}) / 86400.0) as {{ dbt.type_bigint() }})
{% endmacro %}
