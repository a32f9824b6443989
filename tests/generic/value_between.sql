{% test value_between(model, column_name, min_value=none, max_value=none, where=none) %}
{#- Fails on every row whose value lies outside [min_value, max_value]
    (bounds inclusive; either may be left out). Nulls pass. -#}
select
    {{ column_name }} as failing_value
from {{ model }}
where
    {{ column_name }} is not null
    and (
        false
        {%- if min_value is not none %}
        or {{ column_name }} < {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
        or {{ column_name }} > {{ max_value }}
        {%- endif %}
    )
    {%- if where %}
    and ({{ where }})
    {%- endif %}
{% endtest %}
