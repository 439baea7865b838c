using System.Text.Json;
using System.Text.Json.Nodes;
using HostNetAudit.Engine.Policy.Cel;
using Xunit;
using static HostNetAudit.Tests.Engine.Cel.CelTestSupport;
using static HostNetAudit.Tests.Support.TestObjects;

namespace HostNetAudit.Tests.Engine.Cel;

/// <summary>Variations of policies: how the judge binds, evaluates, falls back to text and combines.</summary>
public class CelJudgeTests
{
    private const string HostNetworkFalse = "!has(object.spec.hostNetwork) || object.spec.hostNetwork == false";

    [Fact]
    public void A_validation_that_tests_hostNetwork_refuses_and_names_itself()
    {
        var judgement = Judge(Policy("object.metadata.name != ''", HostNetworkFalse));

        Assert.Equal(CelVerdict.Refuses, judgement.Verdict);
        Assert.Equal(CelJudgedBy.Evaluated, judgement.JudgedBy);
        Assert.Equal(1, judgement.ValidationIndex);
        Assert.Equal(HostNetworkFalse, judgement.Expression);
        Assert.Equal("failed expression: " + HostNetworkFalse, judgement.Message);
        Assert.Contains("Validation 2", judgement.Detail, StringComparison.Ordinal);
        Assert.Equal(new[] { CelOutcome.Admit, CelOutcome.Deny }, judgement.Validations.Select(v => v.Reference));
        Assert.Equal(new[] { CelOutcome.Admit, CelOutcome.Admit }, judgement.Validations.Select(v => v.Twin));
    }

    [Theory]
    [InlineData("false")]
    [InlineData("object.metadata.name == 'something-else'")]
    [InlineData("has(object.spec.nodeName)")]
    public void An_expression_that_denies_every_pod_denies_both_and_does_not_refuse(string expression)
    {
        var judgement = Judge(Policy(HostNetworkFalse, expression));

        Assert.Equal(CelVerdict.DeniesBoth, judgement.Verdict);
        Assert.Equal(1, judgement.ValidationIndex);
        Assert.Contains("not about hostNetwork", judgement.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_policy_that_admits_the_reference_pod_does_not_refuse()
    {
        var judgement = Judge(Policy("!has(object.spec.hostPID) || object.spec.hostPID == false", "true"));

        Assert.Equal(CelVerdict.DoesNotRefuse, judgement.Verdict);
        Assert.Null(judgement.ValidationIndex);
        Assert.Contains("All 2 validations admit", judgement.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_policy_without_validations_denies_nothing()
    {
        Assert.Equal(CelVerdict.DoesNotRefuse, Judge(Policy()).Verdict);
    }

    [Fact]
    public void MessageExpression_is_evaluated_for_the_reference_pod()
    {
        var policy = new CelPolicy
        {
            Dialect = CelDialect.ValidatingAdmissionPolicy,
            Name = "ValidatingAdmissionPolicy/messages",
            Validations = new[]
            {
                new CelValidation(HostNetworkFalse, Message: "static message", MessageExpression: "'pod ' + object.metadata.name + ' in ' + namespaceObject.metadata.name + ' may not use the host network'"),
            },
        };

        var judgement = Judge(policy);

        Assert.Equal(CelVerdict.Refuses, judgement.Verdict);
        Assert.Equal("pod hostnetaudit-reference in team-a may not use the host network", judgement.Message);
        Assert.True(judgement.DependsOnNamespace);
    }

    [Fact]
    public void A_failing_messageExpression_falls_back_to_the_message()
    {
        var policy = new CelPolicy
        {
            Dialect = CelDialect.ValidatingAdmissionPolicy,
            Name = "ValidatingAdmissionPolicy/messages",
            Validations = new[] { new CelValidation(HostNetworkFalse, Message: "  hostNetwork\n is   not allowed ", MessageExpression: "object.metadata.missing + 'x'") },
        };

        Assert.Equal("hostNetwork is not allowed", Judge(policy).Message);
    }

    [Fact]
    public void Variables_chain_and_are_evaluated_lazily()
    {
        var policy = new CelPolicy
        {
            Dialect = CelDialect.ValidatingAdmissionPolicy,
            Name = "ValidatingAdmissionPolicy/variables",
            Variables = new[]
            {
                new CelNamedExpression("podSpec", "object.kind == 'Pod' ? object.spec : object.spec.template.spec"),
                new CelNamedExpression("hostNetwork", "variables.podSpec.?hostNetwork.orValue(false)"),
                new CelNamedExpression("broken", "object.spec.doesNotExist.at.all == 1"),
            },
            Validations = new[] { new CelValidation("!variables.hostNetwork") },
        };

        var judgement = Judge(policy);

        // "broken" would fail, but nothing reads it: the apiserver never evaluates it either.
        Assert.Equal(CelVerdict.Refuses, judgement.Verdict);
        Assert.Equal(CelJudgedBy.Evaluated, judgement.JudgedBy);
        Assert.Contains(CelRewriter.OptionalSelection, judgement.Rewrites);
    }

    [Fact]
    public void A_variable_that_fails_when_read_makes_the_validation_undecided()
    {
        var policy = new CelPolicy
        {
            Dialect = CelDialect.ValidatingAdmissionPolicy,
            Name = "ValidatingAdmissionPolicy/broken-variable",
            Variables = new[] { new CelNamedExpression("broken", "object.spec.doesNotExist.at.all == 1") },
            Validations = new[] { new CelValidation("!variables.broken") },
        };

        var judgement = Judge(policy);

        Assert.Equal(CelVerdict.Unknown, judgement.Verdict);
        Assert.Contains("Validation 1 could not be decided for the reference pod", judgement.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Params_decide_whether_the_policy_refuses()
    {
        const string expression = "params.data.allowHostNetwork == 'true' || !object.spec.?hostNetwork.orValue(false)";
        JsonElement ConfigMap(string allow) => Json($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"p"},"data":{"allowHostNetwork":"{{{allow}}}"}}""");

        var strict = Judge(new CelPolicy { Dialect = CelDialect.ValidatingAdmissionPolicy, Name = "VAP/p", Validations = new[] { new CelValidation(expression) }, Params = ConfigMap("false") });
        var lenient = Judge(new CelPolicy { Dialect = CelDialect.ValidatingAdmissionPolicy, Name = "VAP/p", Validations = new[] { new CelValidation(expression) }, Params = ConfigMap("true") });

        Assert.Equal(CelVerdict.Refuses, strict.Verdict);
        Assert.Equal(CelVerdict.DoesNotRefuse, lenient.Verdict);
        Assert.True(strict.DependsOnParams);
    }

    [Fact]
    public void Selecting_a_field_of_absent_params_is_not_trusted_to_the_evaluator()
    {
        // CEL raises an error for params.data when params is null; the evaluator would answer null (and so
        // "deny" the reference pod). Guarded forms are still read with certainty.
        var unguarded = Judge(Policy("params.data.allowHostNetwork == 'true' || !object.spec.?hostNetwork.orValue(false)"));
        var guarded = Judge(Policy("(params != null && params.data.allowHostNetwork == 'true') || !object.spec.?hostNetwork.orValue(false)"));

        Assert.Equal(CelVerdict.Unknown, unguarded.Verdict);
        Assert.Contains("params, which is null", unguarded.Detail, StringComparison.Ordinal);
        Assert.Equal(CelVerdict.Refuses, guarded.Verdict);
        Assert.Equal(CelJudgedBy.Text, guarded.JudgedBy);
    }

    [Fact]
    public void Selecting_a_field_of_oldObject_on_create_is_not_trusted_to_the_evaluator()
    {
        var judgement = Judge(Policy("oldObject.spec.?hostNetwork.orValue(false) || !object.spec.?hostNetwork.orValue(false)"));

        Assert.Equal(CelVerdict.Unknown, judgement.Verdict);
    }

    [Fact]
    public void A_match_condition_that_excludes_the_reference_pod_means_the_policy_does_not_refuse_it()
    {
        var policy = new CelPolicy
        {
            Dialect = CelDialect.ValidatingAdmissionPolicy,
            Name = "ValidatingAdmissionPolicy/only-labelled",
            MatchConditions = new[]
            {
                new CelNamedExpression("is-pod", "object.kind == 'Pod'"),
                new CelNamedExpression("only-opted-in", "has(object.metadata.labels) && 'enforce-hostnetwork' in object.metadata.labels"),
            },
            Validations = new[] { new CelValidation(HostNetworkFalse) },
        };

        var judgement = Judge(policy);

        Assert.Equal(CelVerdict.DoesNotRefuse, judgement.Verdict);
        Assert.Equal("only-opted-in", judgement.ExcludedByMatchCondition);
        Assert.True(judgement.HasMatchConditions);
        Assert.Contains("Match condition 'only-opted-in' excludes the reference pod", judgement.Detail, StringComparison.Ordinal);
        Assert.Empty(judgement.Validations);
    }

    [Fact]
    public void Match_conditions_that_include_the_reference_pod_let_the_validations_decide()
    {
        var policy = new CelPolicy
        {
            Dialect = CelDialect.ValidatingAdmissionPolicy,
            Name = "ValidatingAdmissionPolicy/controllers",
            MatchConditions = new[]
            {
                new CelNamedExpression("not-kube-system", "request.namespace != 'kube-system'"),
                new CelNamedExpression("controllers", "request.userInfo.username.startsWith('system:serviceaccount:kube-system:')"),
            },
            Validations = new[] { new CelValidation(HostNetworkFalse) },
        };

        var judgement = Judge(policy);

        Assert.Equal(CelVerdict.Refuses, judgement.Verdict);
        Assert.Null(judgement.ExcludedByMatchCondition);
        Assert.True(judgement.HasMatchConditions);
    }

    [Fact]
    public void A_match_condition_excluding_only_the_twin_leaves_the_twin_admitted()
    {
        var policy = new CelPolicy
        {
            Dialect = CelDialect.ValidatingAdmissionPolicy,
            Name = "ValidatingAdmissionPolicy/hostnetwork-only",
            MatchConditions = new[] { new CelNamedExpression("host-network-pods", "object.spec.?hostNetwork.orValue(false)") },
            Validations = new[] { new CelValidation("false", Message: "no host network") },
        };

        var judgement = Judge(policy);

        Assert.Equal(CelVerdict.Refuses, judgement.Verdict);
        Assert.Equal("no host network", judgement.Message);
    }

    [Fact]
    public void A_match_condition_that_cannot_be_decided_makes_the_judgement_unknown()
    {
        var policy = new CelPolicy
        {
            Dialect = CelDialect.ValidatingAdmissionPolicy,
            Name = "ValidatingAdmissionPolicy/authz",
            MatchConditions = new[] { new CelNamedExpression("not-admins", "!authorizer.group('').resource('pods').check('create').allowed()") },
            Validations = new[] { new CelValidation(HostNetworkFalse) },
        };

        var judgement = Judge(policy);

        Assert.Equal(CelVerdict.Unknown, judgement.Verdict);
        Assert.Contains("Match condition 'not-admins' could not be decided", judgement.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_undecided_match_condition_does_not_matter_when_the_reference_pod_is_admitted_anyway()
    {
        var policy = new CelPolicy
        {
            Dialect = CelDialect.ValidatingAdmissionPolicy,
            Name = "ValidatingAdmissionPolicy/authz-hostpid",
            MatchConditions = new[] { new CelNamedExpression("not-admins", "!authorizer.group('').resource('pods').check('create').allowed()") },
            Validations = new[] { new CelValidation("!object.spec.?hostPID.orValue(false)") },
        };

        Assert.Equal(CelVerdict.DoesNotRefuse, Judge(policy).Verdict);
    }

    [Fact]
    public void An_expression_the_evaluator_cannot_run_is_read_from_its_text_and_says_so()
    {
        // A plain selection after an optional one has no rewrite; CEL absorbs the left side of "|| true".
        const string expression = "(object.spec.?affinity.nodeAffinity.orValue(1) == 1 || true) && !object.spec.?hostNetwork.orValue(false)";

        var judgement = Judge(Policy(expression));

        Assert.Equal(CelVerdict.Refuses, judgement.Verdict);
        Assert.Equal(CelJudgedBy.Text, judgement.JudgedBy);
        Assert.Contains("Read from the expression text", judgement.Detail, StringComparison.Ordinal);
        Assert.Equal(CelJudgedBy.Text, judgement.Validations.Single().JudgedBy);
        Assert.NotNull(judgement.Validations.Single().Problem);
    }

    [Theory]
    [InlineData("object.spec.containers.all(c, quantity(c.resources.limits.cpu).isLessThan(quantity('2')))")]
    [InlineData("object.spec.hostNetwork.isGreat()")]
    [InlineData("object.spec.?hostNetwork.orValue(false) == false && this is not cel")]
    public void Text_that_is_not_understood_is_unknown_never_refuses(string expression)
    {
        var judgement = Judge(Policy(expression));

        Assert.Equal(CelVerdict.Unknown, judgement.Verdict);
        Assert.Null(judgement.Message);
    }

    private static CelPolicy Apiserver(string? failurePolicy, string[] validations, params CelNamedExpression[] matchConditions) => new()
    {
        Dialect = CelDialect.ValidatingAdmissionPolicy,
        Name = "ValidatingAdmissionPolicy/p",
        Validations = validations.Select(v => new CelValidation(v)).ToArray(),
        MatchConditions = matchConditions,
        FailurePolicy = failurePolicy,
        FailurePolicyDecidesErrors = true,
    };

    [Theory]
    [InlineData("Fail")]
    [InlineData(null)]  // unset means Fail
    public void An_unguarded_field_that_errors_on_the_twin_denies_every_pod_lacking_it_under_Fail(string? failurePolicy)
    {
        // On the twin the field is absent: an error in CEL, which failurePolicy Fail turns into a denial.
        var judgement = Judge(Apiserver(failurePolicy, new[] { "object.spec.hostNetwork == false" }));

        Assert.Equal(CelVerdict.DeniesBoth, judgement.Verdict);
        Assert.Equal(CelJudgedBy.Evaluated, judgement.JudgedBy);
        Assert.Equal("object.spec.hostNetwork", judgement.DeniesLacking);
        Assert.Equal(CelOutcome.Deny, judgement.Validations.Single().Twin);
        Assert.Contains("denies every pod that lacks object.spec.hostNetwork", judgement.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Under_Ignore_an_erroring_validation_is_skipped_and_the_others_still_judged()
    {
        var alone = Judge(Apiserver("Ignore", new[] { "object.spec.hostNetwork == false" }));
        Assert.Equal(CelVerdict.Refuses, alone.Verdict); // the twin's error is skipped: admitted

        var withOthers = Judge(Apiserver("Ignore", new[] { "object.spec.template.spec.hostNetwork == false", HostNetworkFalse }));
        Assert.Equal(CelVerdict.Refuses, withOthers.Verdict);
        Assert.Equal(1, withOthers.ValidationIndex);

        var skippedOnReference = Judge(Apiserver("Ignore", new[] { "object.spec.template.spec.hostNetwork == false" }));
        Assert.Equal(CelVerdict.DoesNotRefuse, skippedOnReference.Verdict);
        Assert.Contains("failurePolicy Ignore skips", skippedOnReference.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_error_on_every_pod_denies_both_under_Fail()
    {
        var judgement = Judge(Apiserver("Fail", new[] { "object.spec.template.spec.hostNetwork == false" }));
        Assert.Equal(CelVerdict.DeniesBoth, judgement.Verdict);
        Assert.Equal("object.spec.template", judgement.DeniesLacking);
    }

    [Fact]
    public void A_match_condition_that_errors_with_none_false_rejects_under_Fail_and_is_skipped_under_Ignore()
    {
        // Applies to hostNetwork pods only, read unguarded: the twin lacks the field, so the condition errors on it.
        var condition = new CelNamedExpression("host-network-pods", "object.spec.hostNetwork == true");
        var fail = Judge(Apiserver("Fail", new[] { "false" }, condition));
        Assert.Equal(CelVerdict.DeniesBoth, fail.Verdict);
        Assert.Equal("object.spec.hostNetwork", fail.DeniesLacking);
        Assert.Contains("Match condition 'host-network-pods' raises an error for the twin", fail.Detail, StringComparison.Ordinal);

        var ignore = Judge(Apiserver("Ignore", new[] { "false" }, condition));
        Assert.Equal(CelVerdict.Refuses, ignore.Verdict);

        // A false condition wins over an erroring one.
        var excluded = Judge(Apiserver("Fail", new[] { "false" }, condition, new CelNamedExpression("never", "object.kind == 'Deployment'")));
        Assert.Equal(CelVerdict.DoesNotRefuse, excluded.Verdict);
    }

    [Fact]
    public void An_error_outside_the_apiserver_rule_stays_unknown()
    {
        // Kyverno and Gatekeeper handle errors their own way: not modelled, so not decided.
        var policy = new CelPolicy
        {
            Dialect = CelDialect.KyvernoValidatingPolicy,
            Name = "ValidatingPolicy/no-has",
            Validations = new[] { new CelValidation("object.spec.hostNetwork == false") },
            FailurePolicy = "Fail",
        };

        var judgement = Judge(policy);

        Assert.Equal(CelVerdict.Unknown, judgement.Verdict);
        Assert.Contains("Validation 1 denies the reference pod but could not be decided for the twin (no such key", judgement.Detail, StringComparison.Ordinal);
        Assert.Contains("failurePolicy Fail", judgement.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void When_the_evaluator_and_the_text_disagree_the_outcome_is_unknown()
    {
        // has() of a key whose value is null: true in CEL (the key is present), false in the evaluator.
        var twin = JsonNode.Parse(TwinPod().GetRawText())!;
        twin["spec"]!["hostNetwork"] = null;
        var input = new CelAdmissionInput { ReferencePod = ReferencePod(), TwinPod = JsonSerializer.SerializeToElement(twin) };

        var judgement = CelJudge.JudgeValidations(Policy("!has(object.spec.hostNetwork)"), input);

        Assert.Equal(CelVerdict.Unknown, judgement.Verdict);
        Assert.Equal(CelOutcome.Deny, judgement.Validations.Single().Reference);
        Assert.Equal(CelOutcome.Unknown, judgement.Validations.Single().Twin);
        Assert.Contains("the evaluator says true but the text reads false", judgement.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_iteration_variable_that_reuses_a_top_level_name_is_scoped_correctly()
    {
        // "object" inside the macro is the list element, not the pod; "variables" likewise.
        var judgement = Judge(Policy(
            "[{'kind': 'Other'}].all(object, object.kind == 'Other') && " + HostNetworkFalse,
            "[{'hostNetwork': true}].all(variables, variables.hostNetwork)"));

        Assert.Equal(CelVerdict.Refuses, judgement.Verdict);
        Assert.Equal(0, judgement.ValidationIndex);
        Assert.Equal(CelJudgedBy.Text, judgement.JudgedBy);
    }

    [Fact]
    public void A_non_boolean_result_is_not_an_admission()
    {
        var judgement = Judge(Policy("object.metadata.name"));

        Assert.Equal(CelVerdict.Unknown, judgement.Verdict);
        Assert.Contains("not a bool", judgement.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void NamespaceObject_is_bound_and_makes_the_judgement_namespace_dependent()
    {
        const string expression = "namespaceObject.metadata.?labels[?'hostnetwork-allowed'].orValue('false') == 'true' || " + HostNetworkFalse;

        var protectedNs = Judge(Policy(expression), Input(Namespace("team-a")));
        var allowedNs = Judge(Policy(expression), Input(Namespace("team-a", ("hostnetwork-allowed", "true"))));

        Assert.Equal(CelVerdict.Refuses, protectedNs.Verdict);
        Assert.Equal(CelVerdict.DoesNotRefuse, allowedNs.Verdict);
        Assert.True(protectedNs.DependsOnNamespace);
        Assert.False(protectedNs.DependsOnParams);
    }

    [Fact]
    public void Request_is_bound_as_a_controller_creating_a_pod()
    {
        var judgement = Judge(Policy(
            "request.operation == 'CREATE' && request.kind.kind == 'Pod' && request.resource.resource == 'pods' && request.namespace == 'team-a'",
            "request.userInfo.username == 'system:serviceaccount:kube-system:replicaset-controller' && 'system:authenticated' in request.userInfo.groups",
            "oldObject == null",
            HostNetworkFalse));

        Assert.Equal(CelVerdict.Refuses, judgement.Verdict);
        Assert.Equal(3, judgement.ValidationIndex);
    }

    [Fact]
    public void An_exemption_for_the_controller_identity_means_the_policy_does_not_refuse()
    {
        var policy = Policy("request.userInfo.username.startsWith('system:serviceaccount:kube-system:') || " + HostNetworkFalse);

        Assert.Equal(CelVerdict.DoesNotRefuse, Judge(policy).Verdict);
    }

    [Fact]
    public void Gatekeeper_binds_anyObject_and_the_constraint_parameters_as_variables()
    {
        var constraint = Json("""{"kind":"K8sDenyHostNetwork","metadata":{"name":"deny"},"spec":{"parameters":{"allowed":["safe-*"]}}}""");
        var policy = new CelPolicy
        {
            Dialect = CelDialect.Gatekeeper,
            Name = "K8sDenyHostNetwork/deny",
            Params = constraint,
            Variables = new[] { new CelNamedExpression("exempt", "variables.params.allowed.exists(p, variables.anyObject.metadata.name.startsWith(p.replace('*', '')))") },
            Validations = new[]
            {
                new CelValidation(
                    "variables.exempt || !(has(variables.anyObject.spec.hostNetwork) && variables.anyObject.spec.hostNetwork)",
                    MessageExpression: "'denied: ' + variables.anyObject.metadata.name + ' by ' + params.metadata.name"),
            },
        };

        var judgement = Judge(policy);

        Assert.Equal(CelVerdict.Refuses, judgement.Verdict);
        Assert.Equal(CelJudgedBy.Evaluated, judgement.JudgedBy);
        Assert.Equal("denied: hostnetaudit-reference by deny", judgement.Message);
        Assert.True(judgement.DependsOnParams);
    }

    [Fact]
    public void Gatekeeper_template_source_reads_validations_variables_and_matchCondition()
    {
        var template = Yaml("""
            apiVersion: templates.gatekeeper.sh/v1
            kind: ConstraintTemplate
            metadata:
              name: k8sdenyhostnetwork
            spec:
              crd:
                spec:
                  names:
                    kind: K8sDenyHostNetwork
              targets:
                - target: admission.k8s.gatekeeper.sh
                  code:
                    - engine: K8sNativeValidation
                      source:
                        matchCondition:
                          - name: skip-labelled
                            expression: '!has(variables.anyObject.metadata.labels) || !("skip" in variables.anyObject.metadata.labels)'
                        variables:
                          - name: hostNetwork
                            expression: variables.anyObject.spec.?hostNetwork.orValue(false)
                        validations:
                          - expression: '!variables.hostNetwork'
                            message: host network is not allowed
                    - engine: Rego
                      source:
                        rego: package x
            """);

        var policy = CelPolicySources.FromGatekeeperTemplate(template);
        var judgement = Judge(policy!);

        Assert.Equal("ConstraintTemplate/k8sdenyhostnetwork", policy!.Name);
        Assert.Single(policy.MatchConditions);
        Assert.Equal(CelVerdict.Refuses, judgement.Verdict);
        Assert.Equal("host network is not allowed", judgement.Message);
        Assert.Null(CelPolicySources.FromGatekeeperTemplate(Yaml("kind: ConstraintTemplate\nspec:\n  targets:\n  - code:\n    - engine: Rego\n")));
    }

    [Fact]
    public void Kyverno_celPreconditions_act_as_match_conditions()
    {
        var rule = Yaml("""
            name: host-network
            celPreconditions:
              - name: only-prod
                expression: "namespaceObject.metadata.?labels[?'env'].orValue('') == 'prod'"
            validate:
              cel:
                expressions:
                  - expression: "object.spec.?hostNetwork.orValue(false) == false"
                    message: no host network
            """);
        var policy = CelPolicySources.FromKyvernoRule(rule, "ClusterPolicy/p");

        var elsewhere = Judge(policy, Input(Namespace("team-a")));
        var prod = Judge(policy, Input(Namespace("team-a", ("env", "prod"))));

        Assert.Equal(CelVerdict.DoesNotRefuse, elsewhere.Verdict);
        Assert.Equal("only-prod", elsewhere.ExcludedByMatchCondition);
        Assert.Equal(CelVerdict.Refuses, prod.Verdict);
        Assert.True(prod.DependsOnNamespace);
    }

    [Fact]
    public void ValidatingAdmissionPolicy_source_reads_every_field()
    {
        var vap = Yaml("""
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicy
            metadata:
              name: deny-host-network
            spec:
              failurePolicy: Ignore
              paramKind:
                apiVersion: v1
                kind: ConfigMap
              matchConditions:
                - name: pods
                  expression: request.kind.kind == 'Pod'
              variables:
                - name: hn
                  expression: object.spec.?hostNetwork.orValue(false)
              validations:
                - expression: '!variables.hn'
                  messageExpression: "'hostNetwork is not allowed for ' + object.metadata.name"
                  reason: Forbidden
            """);

        var policy = CelPolicySources.FromValidatingAdmissionPolicy(vap);
        var judgement = Judge(policy);

        Assert.Equal("ValidatingAdmissionPolicy/deny-host-network", policy.Name);
        Assert.Equal("Ignore", policy.FailurePolicy);
        Assert.Equal("Forbidden", policy.Validations.Single().Reason);
        Assert.Equal(CelVerdict.Refuses, judgement.Verdict);
        Assert.Equal("hostNetwork is not allowed for hostnetaudit-reference", judgement.Message);
    }

    [Fact]
    public void The_same_expression_is_prepared_once_and_judged_alike_every_time()
    {
        var runtime = new CelRuntime();
        var first = runtime.Prepare(HostNetworkFalse);
        Assert.Same(first, runtime.Prepare(HostNetworkFalse));

        var judgements = Enumerable.Range(0, 20).Select(_ => CelJudge.JudgeValidations(Policy(HostNetworkFalse), Input(), runtime, CancellationToken.None)).ToList();
        Assert.All(judgements, j => Assert.Equal(CelVerdict.Refuses, j.Verdict));
    }

    [Fact]
    public void An_unsupported_function_in_a_side_that_CEL_absorbs_is_still_evaluated()
    {
        // quantity() is a Kubernetes library the evaluator lacks; like CEL, it absorbs the error beside a deciding side.
        var judgement = Judge(Policy("!object.spec.?hostNetwork.orValue(false) && (quantity('100m').isLessThan(quantity('1')) || true)"));

        Assert.Equal(CelVerdict.Refuses, judgement.Verdict);
        Assert.Equal(CelJudgedBy.Evaluated, judgement.JudgedBy);
    }

    [Fact]
    public void Judging_honours_cancellation()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Throws<OperationCanceledException>(() => CelJudge.JudgeValidations(Policy(HostNetworkFalse), Input(), cancelled.Token));
    }

    [Fact]
    public void Judging_is_safe_from_several_threads()
    {
        var document = Yaml("""
            kind: ValidatingPolicy
            metadata: {name: p}
            spec:
              variables:
                - name: hostNetwork
                  expression: object.spec.?hostNetwork.orValue(false)
              validations:
                - expression: '!variables.hostNetwork'
            """);

        // A new policy object each time: every judgement really evaluates, concurrently.
        var verdicts = Enumerable.Range(0, 64).AsParallel().Select(_ => Judge(CelPolicySources.FromKyvernoValidatingPolicy(document)).Verdict).ToList();

        Assert.All(verdicts, v => Assert.Equal(CelVerdict.Refuses, v));
    }

    [Fact]
    public void A_policy_that_does_not_read_the_namespace_is_judged_once_for_every_namespace()
    {
        var policy = Policy(HostNetworkFalse);

        var first = CelJudge.JudgeValidations(policy, new CelAdmissionInput { ReferencePod = ReferencePod("a"), TwinPod = TwinPod("a"), NamespaceObject = Namespace("a") });
        var second = CelJudge.JudgeValidations(policy, new CelAdmissionInput { ReferencePod = ReferencePod("b"), TwinPod = TwinPod("b"), NamespaceObject = Namespace("b", ("x", "y")) });
        var otherIdentity = CelJudge.JudgeValidations(policy, new CelAdmissionInput { ReferencePod = ReferencePod("b"), TwinPod = TwinPod("b"), UserInfo = CelUserInfo.DaemonSetController });

        Assert.False(first.DependsOnNamespace);
        Assert.Same(first, second);
        Assert.NotSame(first, otherIdentity);
    }

    [Theory]
    [InlineData("request.namespace != 'kube-system' && " + HostNetworkFalse)]
    [InlineData("object.metadata.namespace.startsWith('team-') && " + HostNetworkFalse)]
    [InlineData("object.metadata['namespace'] != 'x' && " + HostNetworkFalse)]
    [InlineData("object.metadata != {'name': 'x'} && " + HostNetworkFalse)]
    [InlineData("namespaceObject.metadata.name != 'x' && " + HostNetworkFalse)]
    public void A_policy_that_may_read_the_namespace_is_judged_per_namespace(string expression)
    {
        var policy = Policy(expression);

        var first = CelJudge.JudgeValidations(policy, new CelAdmissionInput { ReferencePod = ReferencePod("a"), TwinPod = TwinPod("a"), NamespaceObject = Namespace("a") });
        var second = CelJudge.JudgeValidations(policy, new CelAdmissionInput { ReferencePod = ReferencePod("b"), TwinPod = TwinPod("b"), NamespaceObject = Namespace("b") });

        Assert.True(first.DependsOnNamespace);
        Assert.NotSame(first, second);
    }

    [Fact]
    public void Excluding_a_namespace_by_name_gives_a_different_verdict_there()
    {
        var policy = Policy("request.namespace == 'ops' || " + HostNetworkFalse);

        Assert.Equal(CelVerdict.Refuses, CelJudge.JudgeValidations(policy, new CelAdmissionInput { ReferencePod = ReferencePod("team-a"), TwinPod = TwinPod("team-a") }).Verdict);
        Assert.Equal(CelVerdict.DoesNotRefuse, CelJudge.JudgeValidations(policy, new CelAdmissionInput { ReferencePod = ReferencePod("ops"), TwinPod = TwinPod("ops") }).Verdict);
    }

    [Fact]
    public void A_pod_created_by_another_identity_can_be_judged()
    {
        var input = new CelAdmissionInput
        {
            ReferencePod = ReferencePod(),
            TwinPod = TwinPod(),
            UserInfo = CelUserInfo.DaemonSetController,
        };
        var policy = Policy("request.userInfo.username.endsWith(':daemon-set-controller') || " + HostNetworkFalse);

        Assert.Equal(CelVerdict.DoesNotRefuse, CelJudge.JudgeValidations(policy, input).Verdict);
    }
}
