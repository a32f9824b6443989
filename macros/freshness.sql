{% macro duckdb__collect_freshness(source, loaded_at_field, filter) %}
    {#- Freshness of an export relative to the build's reference instant
        (var('as_of'), else the latest timestamp in any export), not to the
        machine clock: an export lagging behind the others is stale. The
        loaded_at_field is export text, parsed like staging parses it. -#}
    {% call statement('collect_freshness', fetch_result=True, auto_begin=False) -%}
        select
            max({{ support_kpi.parse_timestamp(loaded_at_field) }}) as max_loaded_at,
            {{ support_kpi.exports_reference_time() }} as snapshotted_at
        from {{ source }}
        {%- if filter %}
        where {{ filter }}
        {%- endif %}
    {%- endcall %}
    {{ return(load_result('collect_freshness')) }}
{% endmacro %}

{% macro exports_reference_time() %}
    {#- var('as_of') when set, else the latest timestamp across the exports
        (the same instant int_build_as_of computes). -#}
    {%- if var('as_of') | string | trim not in ('', 'None') -%}
        cast('{{ var("as_of") }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        (
            select max(latest_at) from (
                select max({{ support_kpi.parse_timestamp('updated_at') }}) as latest_at
                from {{ var('raw_schema') }}.tickets
                union all
                select max({{ support_kpi.parse_timestamp('created_at') }}) as latest_at
                from {{ var('raw_schema') }}.ticket_messages
                union all
                select max({{ support_kpi.parse_timestamp('responded_at') }}) as latest_at
                from {{ var('raw_schema') }}.surveys
                union all
                select max({{ support_kpi.parse_timestamp('created_at') }}) as latest_at
                from {{ var('raw_schema') }}.orders
            ) as latest_per_export
        )
    {%- endif -%}
{% endmacro %}
