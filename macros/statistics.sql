{#- Statistics for comparing groups, in portable SQL. -#}

{% macro two_proportion_z_score(successes_a, trials_a, successes_b, trials_b) %}
    {#- The pooled two-proportion z-score of share a against share b:
        (a/n_a - b/n_b) / sqrt(p (1 - p) (1/n_a + 1/n_b)), p the pooled
        share. Null when a group is empty or the pooled share is 0 or 1. -#}
    case
        when
            {{ trials_a }} > 0
            and {{ trials_b }} > 0
            and {{ successes_a }} + {{ successes_b }} > 0
            and {{ successes_a }} + {{ successes_b }} < {{ trials_a }} + {{ trials_b }}
            then (
                cast({{ successes_a }} as {{ support_kpi.type_double() }}) / {{ trials_a }}
                - cast({{ successes_b }} as {{ support_kpi.type_double() }}) / {{ trials_b }}
            ) / sqrt(
                cast({{ successes_a }} + {{ successes_b }} as {{ support_kpi.type_double() }})
                / ({{ trials_a }} + {{ trials_b }})
                * (
                    1 - cast({{ successes_a }} + {{ successes_b }} as {{ support_kpi.type_double() }})
                    / ({{ trials_a }} + {{ trials_b }})
                )
                * (
                    1 / cast({{ trials_a }} as {{ support_kpi.type_double() }})
                    + 1 / cast({{ trials_b }} as {{ support_kpi.type_double() }})
                )
            )
    end
{% endmacro %}
