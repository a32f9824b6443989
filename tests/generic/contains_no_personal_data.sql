{% test contains_no_personal_data(model, exclude=[]) %}
{#- Fails on every value of every text column (but those excluded) that
    looks like an e-mail address or a phone number. -#}
{%- set text_columns = [] %}
{%- if execute %}
    {%- for column in adapter.get_columns_in_relation(model) %}
        {%- if column.is_string() and column.name | lower not in exclude %}
            {%- do text_columns.append(column.name) %}
        {%- endif %}
    {%- endfor %}
{%- endif %}
{%- if text_columns %}
    {%- for column in text_columns %}
select
    '{{ column }}' as column_name,
    {{ adapter.quote(column) }} as value
from {{ model }}
where {{ support_kpi.looks_like_personal_data(adapter.quote(column)) }}
        {%- if not loop.last %}
union all
        {%- endif %}
    {%- endfor %}
{%- else %}
select
    cast(null as {{ dbt.type_string() }}) as column_name,
    cast(null as {{ dbt.type_string() }}) as value
where 1 = 0
{%- endif %}
{% endtest %}
